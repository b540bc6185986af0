using System.Diagnostics;
using System.Globalization;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Infrastructure;

/// <summary>
/// The previous release of Serverless.Standalone, checked out from this repository's history and built, run as
/// a process of its own on a test's tables: stored data written by the code that is deployed today, for the
/// tests that prove the new release reads it. <see cref="Commit"/> moves forward when a release changes what
/// is stored.
/// </summary>
public sealed class PreviousRelease : IAsyncDisposable
{
    /// <summary>The last release before issue 22 changed what sessions, accounts and revocations store.</summary>
    public const string Commit = "c6491338f31f7775470faeec81dda6498633c867";

    private static readonly SemaphoreSlim Building = new(1, 1);
    private readonly Process process;

    private PreviousRelease(Process process, int port)
    {
        this.process = process;
        Client = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
    }

    public HttpClient Client { get; }

    /// <summary>Builds the release once per machine (a folder named by the commit) and starts it with <paramref name="settings"/>.</summary>
    public static async Task<PreviousRelease> StartAsync(IReadOnlyDictionary<string, string?> settings)
    {
        var dll = await BuildAsync();
        var port = LocalPorts.FreeTcpPort();
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // An empty folder: no local.settings.json is picked up.
            WorkingDirectory = Directory.CreateTempSubdirectory("previous-release-run-").FullName,
        };
        foreach (var argument in new[] { dll, "--urls", $"http://127.0.0.1:{port}" })
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        // The previous release named its mail queue under the Auth section.
        if (settings.TryGetValue("AUTH_EMAIL_QUEUE", out var queue))
        {
            start.Environment["Auth__Storage__EmailQueue"] = queue;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("The previous release did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await LocalPorts.WaitUntilListeningAsync(port, "The previous release", () => [process]);
        return new PreviousRelease(process, port);
    }

    private static async Task<string> BuildAsync()
    {
        var folder = Path.Combine(Path.GetTempPath(), "serverless-release-" + Commit[..12]);
        var dll = Path.Combine(folder, "out", "Serverless.Standalone.dll");
        await Building.WaitAsync();
        try
        {
            if (File.Exists(dll))
            {
                return dll;
            }

            var source = Path.Combine(folder, "src");
            Directory.CreateDirectory(source);
            var archive = Path.Combine(folder, "src.tar");
            await RunAsync("git", ["-C", RepoPaths.Root, "archive", "--format=tar", "-o", archive, Commit], TimeSpan.FromMinutes(1));
            await RunAsync("tar", ["-xf", archive, "-C", source], TimeSpan.FromMinutes(1));
            await RunAsync(
                "dotnet",
                ["build", Path.Combine(source, "functions", "Serverless.Standalone"), "-c", "Release", "-o", Path.Combine(folder, "out"), "-nologo", "-v", "q"],
                TimeSpan.FromMinutes(8));
            return dll;
        }
        finally
        {
            Building.Release();
        }
    }

    private static async Task RunAsync(string file, string[] arguments, TimeSpan timeout)
    {
        var result = await Command.RunAsync(file, arguments, timeout);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(
                string.Create(CultureInfo.InvariantCulture, $"{file} {string.Join(' ', arguments)} exited with {result.ExitCode} (the previous release needs this repository's git history):\n{result.StandardOutput}\n{result.StandardError}"));
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }
}
