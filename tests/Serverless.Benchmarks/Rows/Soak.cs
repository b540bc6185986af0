using System.Collections.Concurrent;
using System.Diagnostics;
using Serverless.Benchmarks.Infrastructure;

namespace Serverless.Benchmarks;

internal sealed partial class Suite
{
    /// <summary>
    /// Row 6c: a mixed soak (signup, verify, login, verify, logout, verify-after-logout) on a Standalone
    /// process; every status is checked against the one the flow expects; RSS at minute 1 vs the end.
    /// </summary>
    private async Task SoakAsync(string connectionString, string signingKey)
    {
        var duration = TimeSpan.FromSeconds(options.SoakSeconds);
        Section($"soak: {duration.TotalMinutes:F1} min mixed signup/login/verify/logout");
        await using var server = ServerProcess.StartStandalone(ApiSettings.Create(connectionString, "Soak", signingKey));
        await server.WaitUntilAnsweringAsync();
        using var client = new ApiClient(server.BaseAddress);
        var unexpected = new ConcurrentDictionary<string, int>();
        var requests = 0L;
        var flows = 0L;
        var started = Stopwatch.GetTimestamp();
        bool Running() => Stopwatch.GetElapsedTime(started) < duration;

        async Task<Outcome?> Call(string what, int expected, Func<Task<HttpResponseMessage>> call)
        {
            Interlocked.Increment(ref requests);
            try
            {
                var outcome = await ApiClient.TimeAsync(call);
                if (outcome.Status != expected)
                {
                    unexpected.AddOrUpdate($"{what} {outcome.Status}", 1, (_, n) => n + 1);
                }

                return outcome;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                unexpected.AddOrUpdate($"{what} {e.GetType().Name}", 1, (_, n) => n + 1);
                return null;
            }
        }

        var workers = Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            for (var n = 0; Running(); n++)
            {
                var email = $"soak{worker}-{n}@bench.test";
                var signup = await Call("signup", 201, () => client.SignupAsync(email));
                if (signup?.Token is not { } first)
                {
                    continue;
                }

                for (var v = 0; v < 3; v++)
                {
                    await Call("verify", 200, () => client.VerifyAsync(first));
                }

                var login = await Call("login", 200, () => client.LoginAsync(email));
                if (login?.Token is { } second)
                {
                    await Call("verify", 200, () => client.VerifyAsync(second));
                    await Call("logout", 204, () => client.LogoutAsync(second));
                    await Call("verify-after-logout", 401, () => client.VerifyAsync(second));
                }

                await Call("logout", 204, () => client.LogoutAsync(first));
                Interlocked.Increment(ref flows);
            }
        })).ToArray();

        var samples = new List<(double Seconds, double RssMiB)>();
        double? atMinuteOne = null;
        while (Running())
        {
            await Task.Delay(TimeSpan.FromSeconds(5));
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var rss = server.Memory().RssMiB;
            samples.Add((seconds, rss));
            if (atMinuteOne is null && seconds >= 60)
            {
                atMinuteOne = rss;
            }
        }

        await Task.WhenAll(workers);
        var end = server.Memory();
        var minuteOne = atMinuteOne ?? throw new InvalidOperationException("soak shorter than one minute: use --soak-seconds ≥ 65");
        var afterMinuteOne = samples.Where(s => s.Seconds >= 60).Select(s => s.RssMiB).Append(end.RssMiB).ToArray();
        var ratio = end.RssMiB / minuteOne;
        var bad = unexpected.Values.Sum();
        report.Add(new Row($"memory: Standalone RSS after a {duration.TotalMinutes:F0}-minute mixed soak vs at minute 1",
            $"{end.RssMiB:F0} MiB vs {minuteOne:F0} MiB", "≤ 1.2×", Ratio(ratio), ratio <= 1.2));
        report.Add(new Row($"soak: unexpected statuses in {requests:N0} requests ({flows:N0} signup→verify×3→login→verify→logout→verify(401)→logout flows, 4 clients)",
            bad == 0 ? "0" : string.Join(", ", unexpected.Select(p => $"{p.Key}×{p.Value}")), "0", $"{bad}", bad == 0));
        report.Note($"soak RSS samples (every 5 s): min {samples.Min(s => s.RssMiB):F0}, max after minute 1 {afterMinuteOne.Max():F0} MiB, peak (VmHWM) {end.PeakMiB:F0} MiB; "
            + $"RSS by minute: {string.Join(", ", samples.Where((s, i) => i % 12 == 11).Select(s => $"{s.Seconds / 60:F0}:{s.RssMiB:F0}"))} MiB.");
    }
}
