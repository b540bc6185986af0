using System.Diagnostics;
using System.Globalization;
using Serverless.Auth.Http;
using Serverless.Testing;

namespace Serverless.Benchmarks.Infrastructure;

/// <summary>
/// A server in its own process (<c>dotnet X.dll</c> runs in the dotnet host's process, so its pid is the
/// app's): Serverless.Standalone from its Release build, or this program's bare server. RSS is read from
/// /proc. Started in an empty working folder, so no local.settings.json is picked up.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private static readonly string WorkFolder = Directory.CreateTempSubdirectory("bench-work-").FullName;
    private readonly Process process;
    private readonly Queue<string> lastLines = new();

    private ServerProcess(Process process, int port, long startedAt)
    {
        this.process = process;
        Port = port;
        StartedAt = startedAt;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
        process.OutputDataReceived += (_, e) => Remember(e.Data);
        process.ErrorDataReceived += (_, e) => Remember(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Port { get; }
    public Uri BaseAddress { get; }
    /// <summary>Stopwatch timestamp taken just before Process.Start.</summary>
    public long StartedAt { get; }
    public int Id => process.Id;

    /// <summary>Serverless.Standalone as published for deployment (ReadyToRun, linux-x64; .ci/bench publishes it).</summary>
    public static string StandaloneDll => RepoPaths.Combine("functions", "Serverless.Standalone", "bin", "Release", "net10.0", "linux-x64", "publish", "Serverless.Standalone.dll");

    /// <summary>Starts Serverless.Standalone with the settings as environment variables; does not wait.</summary>
    public static ServerProcess StartStandalone(IReadOnlyDictionary<string, string?> settings)
    {
        if (!File.Exists(StandaloneDll))
        {
            throw new InvalidOperationException($"{StandaloneDll} is missing: publish it first (.ci/bench does: dotnet publish functions/Serverless.Standalone -c Release -r linux-x64 --self-contained false).");
        }

        return StartStandalone(StandaloneDll, settings);
    }

    /// <summary>Starts a given build of Serverless.Standalone (e.g. <see cref="PreviousRelease"/>'s) with the settings as environment variables; does not wait.</summary>
    public static ServerProcess StartStandalone(string dll, IReadOnlyDictionary<string, string?> settings)
    {
        var port = AzuriteProcess.FreeTcpPort();
        return Start([dll, "--urls", $"http://127.0.0.1:{port}"], AsEnvironment(settings), port);
    }

    /// <summary>Starts this program as the bare ASP.NET Core app; does not wait.</summary>
    public static ServerProcess StartBare()
    {
        var port = AzuriteProcess.FreeTcpPort();
        var self = typeof(ServerProcess).Assembly.Location;
        return Start([self, "--bare-server", port.ToString(CultureInfo.InvariantCulture)], new Dictionary<string, string?> { ["Logging__LogLevel__Default"] = "Warning" }, port);
    }

    /// <summary>The environment-variable form of configuration keys (<c>Auth__Jwt__Issuer</c>).</summary>
    private static Dictionary<string, string?> AsEnvironment(IReadOnlyDictionary<string, string?> settings) =>
        settings.ToDictionary(p => p.Key.Replace(":", "__", StringComparison.Ordinal), p => p.Value);

    private static ServerProcess Start(string[] arguments, IReadOnlyDictionary<string, string?> environment, int port)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = WorkFolder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var startedAt = Stopwatch.GetTimestamp();
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        return new ServerProcess(process, port, startedAt);
    }

    /// <summary>Waits until the server answers anything on <paramref name="path"/> (60 s bound).</summary>
    public async Task WaitUntilAnsweringAsync(string path = "/api/auth/verify")
    {
        using var client = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(2) }) { Timeout = TimeSpan.FromSeconds(10) };
        var deadline = Stopwatch.GetTimestamp() + (60 * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"server exited with {process.ExitCode}: {string.Join('\n', Snapshot())}");
            }

            try
            {
                using var response = await client.GetAsync(new Uri(BaseAddress, path));
                return;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(20);
            }
        }

        throw new TimeoutException($"server on port {Port} did not answer within 60 s: {string.Join('\n', Snapshot())}");
    }

    /// <summary>VmRSS and VmHWM (peak RSS since start) in MiB, from /proc/PID/status.</summary>
    public (double RssMiB, double PeakMiB) Memory()
    {
        double rss = 0, peak = 0;
        foreach (var line in File.ReadLines($"/proc/{process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = KiB(line) / 1024.0;
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                peak = KiB(line) / 1024.0;
            }
        }

        return (rss, peak);
    }

    private static double KiB(string line) =>
        double.Parse(line.Split(':')[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture);

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (lastLines)
        {
            lastLines.Enqueue(line);
            while (lastLines.Count > 40)
            {
                lastLines.Dequeue();
            }
        }
    }

    /// <summary>The last lines the server wrote (warnings and errors only: runs log at Warning).</summary>
    public string RecentOutput() => string.Join(" | ", Snapshot().TakeLast(12));

    private string[] Snapshot()
    {
        lock (lastLines)
        {
            return [.. lastLines];
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }
}
