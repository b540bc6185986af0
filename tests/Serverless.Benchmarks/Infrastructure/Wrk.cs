using System.Globalization;
using System.Text.RegularExpressions;
using Serverless.Testing;

namespace Serverless.Benchmarks.Infrastructure;

internal sealed record WrkResult(double RequestsPerSecond, long Requests, long Non2xx, string SocketErrors, string Raw);

/// <summary>Runs Debian's wrk against 127.0.0.1 and parses its summary.</summary>
internal static partial class Wrk
{
    public static async Task<WrkResult> RunAsync(Uri url, int threads, int connections, int seconds, string? cookie = null)
    {
        if (!url.IsLoopback)
        {
            throw new ArgumentException("load only on loopback", nameof(url));
        }

        List<string> arguments = [$"-t{threads}", $"-c{connections}", $"-d{seconds}s", "--timeout", "10s"];
        if (cookie is not null)
        {
            arguments.AddRange(["-H", $"Cookie: {cookie}"]);
        }

        arguments.Add(url.ToString());
        var run = await Command.RunAsync("wrk", arguments, TimeSpan.FromSeconds(seconds + 30));
        var text = run.StandardOutput + run.StandardError;
        if (run.ExitCode != 0)
        {
            throw new InvalidOperationException("wrk failed: " + text);
        }

        var rps = RequestsPerSecond().Match(text);
        var total = Total().Match(text);
        var non2xx = Non2xx().Match(text);
        var socket = SocketErrors().Match(text);
        if (!rps.Success || !total.Success)
        {
            throw new InvalidOperationException("could not parse wrk output: " + text);
        }

        return new WrkResult(
            double.Parse(rps.Groups[1].Value, CultureInfo.InvariantCulture),
            long.Parse(total.Groups[1].Value, CultureInfo.InvariantCulture),
            non2xx.Success ? long.Parse(non2xx.Groups[1].Value, CultureInfo.InvariantCulture) : 0,
            socket.Success ? socket.Groups[1].Value.Trim() : "none",
            text);
    }

    [GeneratedRegex(@"Requests/sec:\s+([0-9.]+)")]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"([0-9]+) requests in")]
    private static partial Regex Total();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+([0-9]+)")]
    private static partial Regex Non2xx();

    [GeneratedRegex(@"Socket errors:(.*)")]
    private static partial Regex SocketErrors();
}
