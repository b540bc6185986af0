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

    /// <summary>.ci/previous-release builds it once per machine (a folder named by the commit) and prints the dll's path.</summary>
    private static async Task<string> BuildAsync()
    {
        await Building.WaitAsync();
        try
        {
            var result = await Command.RunAsync("bash", [RepoPaths.Combine(".ci", "previous-release"), Commit], TimeSpan.FromMinutes(8));
            var dll = result.StandardOutput.Trim();
            return result.ExitCode == 0 && File.Exists(dll)
                ? dll
                : throw new InvalidOperationException(
                    string.Create(CultureInfo.InvariantCulture, $".ci/previous-release {Commit} exited with {result.ExitCode} (it needs this repository's git history):\n{result.StandardError}"));
        }
        finally
        {
            Building.Release();
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
