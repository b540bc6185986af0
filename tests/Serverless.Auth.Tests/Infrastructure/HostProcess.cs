using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Infrastructure;

/// <summary>
/// A host as its own process, <c>dotnet X.dll</c> from its build output (this project builds both), with the
/// settings as environment variables and an empty working folder (no local.settings.json): for what only a
/// process shows, its exit code, what it writes and whether it stays up.
/// </summary>
public sealed class HostProcess : IAsyncDisposable
{
    private static readonly string Configuration = typeof(HostProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
    private static readonly string WorkFolder = Directory.CreateTempSubdirectory("host-process-").FullName;

    private readonly Process process;
    private readonly List<string> lines = [];

    private HostProcess(Process process, Uri baseAddress)
    {
        this.process = process;
        BaseAddress = baseAddress;
        process.OutputDataReceived += (_, e) => Remember(e.Data);
        process.ErrorDataReceived += (_, e) => Remember(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public enum Kind
    {
        Standalone,
        Functions,
    }

    public Uri BaseAddress { get; }

    public bool HasExited => process.HasExited;

    /// <summary>Everything it wrote so far, stdout and stderr interleaved.</summary>
    public string Output
    {
        get
        {
            lock (lines)
            {
                return string.Join('\n', lines);
            }
        }
    }

    /// <summary>
    /// Runs a host until it exits by itself (start-up refusals). The Functions worker gets the start-up settings
    /// the Functions host would pass; nothing listens at that endpoint, and the checks before start never reach it.
    /// </summary>
    public static Task<CommandResult> RunToExitAsync(Kind host, IReadOnlyDictionary<string, string?> settings)
    {
        var environment = AsEnvironment(settings);
        if (host == Kind.Functions)
        {
            environment["Functions__Worker__HostEndpoint"] = "http://127.0.0.1:9";
            environment["Functions__Worker__WorkerId"] = "worker-of-a-test";
            environment["Functions__Worker__RequestId"] = "request-of-a-test";
            environment["Functions__Worker__GrpcMaxMessageLength"] = "2147483647";
        }

        return Command.RunAsync("dotnet", [Dll(host)], TimeSpan.FromSeconds(90), workingDirectory: WorkFolder, environment: environment);
    }

    /// <summary>Starts Serverless.Standalone (this build's, or the one at <paramref name="dll"/>) on a free loopback port and waits until it listens.</summary>
    public static async Task<HostProcess> StartStandaloneAsync(IReadOnlyDictionary<string, string?> settings, string? dll = null)
    {
        var port = LocalPorts.FreeTcpPort();
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll ?? Dll(Kind.Standalone), "--urls", $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}" },
            WorkingDirectory = WorkFolder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in AsEnvironment(settings))
        {
            start.Environment[name] = value;
        }

        var host = new HostProcess(Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start."), new Uri($"http://127.0.0.1:{port}"));
        try
        {
            await LocalPorts.WaitUntilListeningAsync(port, "Serverless.Standalone", () => [host.process]);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            var output = host.Output;
            await host.DisposeAsync();
            throw new InvalidOperationException(e.Message + "\n" + output, e);
        }

        return host;
    }

    private static string Dll(Kind host) => host switch
    {
        Kind.Standalone => RepoPaths.Combine("functions", "Serverless.Standalone", "bin", Configuration, "net10.0", "Serverless.Standalone.dll"),
        _ => RepoPaths.Combine("functions", "Serverless.Functions", "bin", Configuration, "net10.0", "linux-x64", "Serverless.Functions.dll"),
    };

    /// <summary>The environment-variable form of configuration keys (<c>Auth__Jwt__Issuer</c>).</summary>
    private static Dictionary<string, string?> AsEnvironment(IReadOnlyDictionary<string, string?> settings) =>
        settings.ToDictionary(setting => setting.Key.Replace(":", "__", StringComparison.Ordinal), setting => setting.Value);

    private void Remember(string? line)
    {
        if (line is not null)
        {
            lock (lines)
            {
                lines.Add(line);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }
}
