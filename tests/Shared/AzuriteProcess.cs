using System.Diagnostics;

namespace Serverless.Testing;

/// <summary>
/// A real Azurite Table service and Queue service (from the repo's node_modules) on free loopback ports,
/// with their data in a temporary folder. Stop and start again keep the data on disk, for outage tests.
/// </summary>
public sealed class AzuriteProcess : IAsyncDisposable
{
    // Azurite's published development account; not a secret.
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly string dataFolder = Directory.CreateTempSubdirectory("azurite-").FullName;
    private readonly List<Process> processes = [];

    private AzuriteProcess(int port, int queuePort) => (Port, QueuePort) = (port, queuePort);

    /// <summary>The Table service's port.</summary>
    public int Port { get; }

    public int QueuePort { get; }

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};"
        + $"TableEndpoint=http://127.0.0.1:{Port}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{QueuePort}/devstoreaccount1;";

    public static async Task<AzuriteProcess> StartNewAsync()
    {
        var azurite = new AzuriteProcess(FreeTcpPort(), FreeTcpPort());
        await azurite.StartAsync();
        return azurite;
    }

    public async Task StartAsync()
    {
        processes.Add(Start("azurite-table", "--tableHost", "--tablePort", Port));
        processes.Add(Start("azurite-queue", "--queueHost", "--queuePort", QueuePort));
        await WaitUntilListeningAsync(Port);
        await WaitUntilListeningAsync(QueuePort);
    }

    /// <summary>Stops only the Queue service (a queue outage while tables still answer).</summary>
    public async Task StopQueueServiceAsync()
    {
        var queue = processes[1];
        processes.Remove(queue);
        await StopAsync(queue);
    }

    private Process Start(string service, string hostOption, string portOption, int port)
    {
        var executable = RepoPaths.Combine("node_modules", ".bin", service);
        if (!File.Exists(executable))
        {
            throw new InvalidOperationException($"{executable} is missing: run 'npm ci' in the repository root (the README test command does).");
        }

        var start = new ProcessStartInfo(executable)
        {
            ArgumentList =
            {
                hostOption, "127.0.0.1", portOption, port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--location", dataFolder,
                "--skipApiVersionCheck", "--disableProductStyleUrl", "--silent",
                // Telemetry on: after SIGINT Azurite waits minutes on sending it where it cannot get out, so every
                // stop ran into the 10 s kill (and a killed Azurite does not flush its data).
                "--disableTelemetry",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{service} did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>
    /// Stops Azurite the way Ctrl+C does (SIGINT), so it flushes its data to disk like durable storage
    /// would have; killed only if it does not exit within 10 s.
    /// </summary>
    public async Task StopAsync()
    {
        await Task.WhenAll(processes.Select(StopAsync));
        processes.Clear();
    }

    private static async Task StopAsync(Process process)
    {
        if (process is { HasExited: false })
        {
            using (var interrupt = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await interrupt.WaitForExitAsync();
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }

        process.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(dataFolder, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp folder left behind is harmless.
        }
    }

    public static int FreeTcpPort() => LocalPorts.FreeTcpPort();

    private Task WaitUntilListeningAsync(int port) => LocalPorts.WaitUntilListeningAsync(port, "Azurite", () => processes);
}
