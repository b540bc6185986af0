using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Serialization;

namespace Serverless.Testing;

/// <summary>One mail as maildev's HTTP API lists it.</summary>
public sealed record ReceivedMail(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("subject")] string Subject,
    [property: JsonPropertyName("text")] string? Text,
    [property: JsonPropertyName("html")] string? Html,
    [property: JsonPropertyName("to")] IReadOnlyList<MailAddress> To,
    [property: JsonPropertyName("from")] IReadOnlyList<MailAddress> From)
{
    public bool IsTo(string address) => To.Any(a => string.Equals(a.Address, address, StringComparison.OrdinalIgnoreCase));
}

public sealed record MailAddress([property: JsonPropertyName("address")] string Address, [property: JsonPropertyName("name")] string? Name);

/// <summary>
/// A real development SMTP server (the npm package maildev, from the repo's node_modules) on free
/// loopback ports, read through its HTTP API (GET /api/email). Stop and start again on the same ports
/// for "SMTP is down" tests (mail is kept in memory: a restart starts with an empty inbox).
/// </summary>
public sealed class MaildevProcess : IAsyncDisposable
{
    private readonly HttpClient http;
    private Process? process;

    private MaildevProcess(int smtpPort, int webPort)
    {
        (SmtpPort, WebPort) = (smtpPort, webPort);
        http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{webPort}/") };
    }

    public int SmtpPort { get; }

    public int WebPort { get; }

    /// <summary>
    /// Starts maildev on two free ports, and again on others when it is not the one answering there: a port found free
    /// can be taken (by another test's host, say) before maildev binds it, and then something else listens on it.
    /// </summary>
    public static async Task<MaildevProcess> StartNewAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            var maildev = new MaildevProcess(LocalPorts.FreeTcpPort(), LocalPorts.FreeTcpPort());
            try
            {
                await maildev.StartAsync();
                await Task.Delay(200);
                if (maildev.process is { HasExited: false })
                {
                    await maildev.GetEmailsAsync();
                    return maildev;
                }
            }
            catch (Exception e) when (attempt < 5 && e is HttpRequestException or InvalidOperationException or System.Text.Json.JsonException or TimeoutException)
            {
            }

            await maildev.DisposeAsync();
            if (attempt == 5)
            {
                throw new InvalidOperationException("maildev could not be started on free ports in five attempts.");
            }
        }
    }

    public async Task StartAsync()
    {
        var executable = RepoPaths.Combine("node_modules", ".bin", "maildev");
        if (!File.Exists(executable))
        {
            throw new InvalidOperationException($"{executable} is missing: run 'npm ci' in the repository root (the README test command does).");
        }

        var start = new ProcessStartInfo(executable)
        {
            ArgumentList =
            {
                // Loopback only: maildev binds every interface by default.
                "--ip", "127.0.0.1", "--web-ip", "127.0.0.1",
                "--smtp", SmtpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--web", WebPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--silent",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        process = Process.Start(start) ?? throw new InvalidOperationException("maildev did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await WaitUntilListeningAsync(SmtpPort);
        await WaitUntilListeningAsync(WebPort);
    }

    public async Task StopAsync()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process?.Dispose();
        process = null;
    }

    public async Task<IReadOnlyList<ReceivedMail>> GetEmailsAsync(CancellationToken cancellationToken = default) =>
        await http.GetFromJsonAsync<List<ReceivedMail>>("api/email", cancellationToken) ?? [];

    /// <summary>Waits until <paramref name="count"/> mails to <paramref name="address"/> have arrived (polling the HTTP API) and returns them, oldest first.</summary>
    public async Task<IReadOnlyList<ReceivedMail>> WaitForEmailsAsync(string address, int count = 1, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var mails = (await GetEmailsAsync(cancellationToken)).Where(m => m.IsTo(address)).ToList();
            if (mails.Count >= count)
            {
                return mails;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{mails.Count} of {count} mails to {address} arrived within {timeout ?? TimeSpan.FromSeconds(30)}.");
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        http.Dispose();
    }

    private Task WaitUntilListeningAsync(int port) =>
        LocalPorts.WaitUntilListeningAsync(port, "maildev", () => process is null ? [] : [process]);
}
