using System.Collections.Concurrent;
using System.Diagnostics;
using Serverless.Auth.Http;
using Serverless.Benchmarks.Infrastructure;

namespace Serverless.Benchmarks;

internal sealed partial class Suite
{
    /// <summary>
    /// Row 4: two Standalone processes on one Azurite; logout on A, then verify on A at once and poll B
    /// until it refuses the token. Row 7: start-up to first 200 from verify vs a bare app's first 200.
    /// </summary>
    private async Task RevocationAndStartupAsync(string connectionString, string signingKey)
    {
        Section("revocation across two Standalone processes");
        var settings = ApiSettings.Create(connectionString, "Rev", signingKey);
        string startupToken;
        await using (var a = ServerProcess.StartStandalone(settings))
        await using (var b = ServerProcess.StartStandalone(settings))
        {
            await Task.WhenAll(a.WaitUntilAnsweringAsync(), b.WaitUntilAnsweringAsync());
            using var clientA = new ApiClient(a.BaseAddress);
            using var clientB = new ApiClient(b.BaseAddress);
            var random = new Random(7);
            var delays = new List<double>();
            var immediateOnA = 0;
            var trials = Count(6, 3);
            for (var i = 0; i < trials; i++)
            {
                var token = await clientA.SignupTokenAsync($"revoke{i}@bench.test");
                Expect(await ApiClient.TimeAsync(() => clientB.VerifyAsync(token)), 200, "verify on B before logout");
                // Land the logout at a random point of B's sync interval.
                await Task.Delay(random.Next(0, 1000));
                Expect(await ApiClient.TimeAsync(() => clientA.LogoutAsync(token)), 204, "logout on A");
                var loggedOut = Stopwatch.GetTimestamp();
                if ((await ApiClient.TimeAsync(() => clientA.VerifyAsync(token))).Status == 401)
                {
                    immediateOnA++;
                }

                double? refusedAfter = null;
                while (ElapsedMs(loggedOut) < 10_000)
                {
                    var outcome = await ApiClient.TimeAsync(() => clientB.VerifyAsync(token));
                    if (outcome.Status == 401)
                    {
                        refusedAfter = ElapsedMs(loggedOut);
                        break;
                    }

                    Expect(outcome, 200, "verify on B while the revocation propagates");
                    await Task.Delay(10);
                }

                delays.Add(refusedAfter ?? double.PositiveInfinity);
            }

            var worst = delays.Max();
            report.Add(new Row($"revocation: logout on A → verify 401 on A at once; on B (other process, same Azurite) within ({trials} trials, worst)",
                $"A: {immediateOnA}/{trials} immediate; B: worst {Ms(worst)}, median {Ms(Stats.Median(delays))}", "A immediate, B ≤ 2 s",
                Ratio(worst / 2000), immediateOnA == trials && worst <= 2000));
            startupToken = await clientA.SignupTokenAsync("startup@bench.test");
        }

        Section("start-up: process start to first 200 from verify vs bare ASP.NET Core app");
        var standalone = new List<double>();
        var bare = new List<double>();
        var standaloneListening = new List<double>();
        var bareListening = new List<double>();
        for (var i = 0; i < Count(5, 2); i++)
        {
            await using (var api = ServerProcess.StartStandalone(settings))
            {
                var (listening, firstOk) = await FirstOkAsync(api, AuthApi.Verify.Path, startupToken);
                standaloneListening.Add(listening);
                standalone.Add(firstOk);
            }

            await using (var baseline = ServerProcess.StartBare())
            {
                var (listening, firstOk) = await FirstOkAsync(baseline, BareServer.Path, null);
                bareListening.Add(listening);
                bare.Add(firstOk);
            }
        }

        var standaloneMedian = Stats.Median(standalone);
        var bareMedian = Stats.Median(bare);
        var startupRatio = standaloneMedian / bareMedian;
        report.Add(new Row($"start-up: process start → first 200 from verify (Standalone published ReadyToRun, `dotnet X.dll`) vs bare ASP.NET Core app → first 200 (median of {standalone.Count})",
            $"{Ms(standaloneMedian)} vs {Ms(bareMedian)}", "≤ 1.5×", Ratio(startupRatio), startupRatio <= 1.5));
        report.Note($"start-up runs: Standalone {string.Join(", ", standalone.Select(Ms))}; bare {string.Join(", ", bare.Select(Ms))}. "
            + $"Medians split at the first accepted TCP connection: Standalone listening at {Ms(Stats.Median(standaloneListening))} "
            + $"(host built, options validated, tables listed and queues created in Azurite, hosted services started), first request "
            + $"{Ms(Stats.Median(standalone.Zip(standaloneListening, (ok, listening) => ok - listening)))}; bare listening at {Ms(Stats.Median(bareListening))}, first request "
            + $"{Ms(Stats.Median(bare.Zip(bareListening, (ok, listening) => ok - listening)))}. The phase profile is in results.md.");
    }

    /// <summary>Milliseconds from process start to the first accepted connection and to the first 200 from <paramref name="path"/>.</summary>
    private static async Task<(double Listening, double FirstOk)> FirstOkAsync(ServerProcess server, string path, string? token)
    {
        using var client = new ApiClient(server.BaseAddress);
        double? listening = null;
        while (ElapsedMs(server.StartedAt) < 60_000)
        {
            if (listening is null)
            {
                try
                {
                    using var probe = new System.Net.Sockets.TcpClient();
                    await probe.ConnectAsync(server.BaseAddress.Host, server.Port);
                    listening = ElapsedMs(server.StartedAt);
                }
                catch (System.Net.Sockets.SocketException)
                {
                    await Task.Delay(5);
                    continue;
                }
            }

            try
            {
                var outcome = await ApiClient.TimeAsync(() => token is null ? client.GetAsync(path) : client.VerifyAsync(token));
                if (outcome.Status == 200)
                {
                    return (listening.Value, ElapsedMs(server.StartedAt));
                }
            }
            catch (HttpRequestException)
            {
                // Listening, but not answering yet.
            }

            await Task.Delay(5);
        }

        throw new TimeoutException($"no 200 from {path} within 60 s of process start");
    }

    /// <summary>Row 6a/b: Standalone RSS peak under 64 concurrent logins, with the hashing bound and without it.</summary>
    private async Task MemoryAsync(string connectionString, string signingKey)
    {
        const int argon2MiB = 19;
        double boundedPeak = 0;
        // The third pass is a diagnostic, not a row: the bounded run again with the ASP.NET Core default GC
        // (server GC, background) instead of the hosts' configured one (workstation, background) (functions/Directory.Build.props),
        // to show how much of a peak is dead hashing buffers a GC has not yet returned.
        foreach (var (bounded, defaultGc) in new[] { (true, false), (false, false), (true, true) })
        {
            Section($"memory under 64 concurrent logins, {(bounded ? "with" : "without")} the hashing bound{(defaultGc ? ", server GC (diagnostic)" : "")}");
            var settings = ApiSettings.Create(connectionString, bounded ? (defaultGc ? "MemServerGc" : "MemBound") : "MemFree", signingKey);
            if (defaultGc)
            {
                settings["DOTNET_gcServer"] = "1";
                settings["DOTNET_gcConcurrent"] = "1";
            }

            var bound = bounded ? Cores : 1000;
            settings["Auth:Argon2:MaxConcurrentHashes"] = bound.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await using var server = ServerProcess.StartStandalone(settings);
            await server.WaitUntilAnsweringAsync();
            using var client = new ApiClient(server.BaseAddress);
            // 16 accounts, 4 of the 64 logins each: 64 at once on one account lose the backoff row's
            // compare-and-swap to each other and many answer 429 without hashing, which is not the load meant here.
            var emails = Enumerable.Range(0, 16).Select(i => $"memory{i}@bench.test").ToArray();
            foreach (var address in emails)
            {
                await client.SignupTokenAsync(address);
            }

            Expect(await ApiClient.TimeAsync(() => client.LoginAsync(emails[0])), 200, "warm-up login");
            await Task.Delay(500);
            var before = server.Memory();
            var statuses = new ConcurrentDictionary<int, int>();
            string? firstServerError = null;
            var started = Stopwatch.GetTimestamp();
            await Task.WhenAll(Enumerable.Range(0, 64).Select(async i =>
            {
                var outcome = await ApiClient.TimeAsync(() => client.LoginAsync(emails[i % emails.Length]));
                statuses.AddOrUpdate(outcome.Status, 1, (_, n) => n + 1);
                if (outcome.Status >= 500 && outcome.Status != 503)
                {
                    Interlocked.CompareExchange(ref firstServerError, $"{outcome.Status} after {outcome.Milliseconds:F0} ms: {System.Text.Encoding.UTF8.GetString(outcome.Body)}", null);
                }
            }));
            var seconds = ElapsedMs(started) / 1000;
            var after = server.Memory();
            if (firstServerError is { } error)
            {
                report.Note($"memory run ({(bounded ? "bounded" : "unbounded")}) answered 500: {error}; server output: {server.RecentOutput()}");
            }
            if (defaultGc)
            {
                report.Note($"memory diagnostic: the bounded run with server + background GC (ASP.NET Core's default) peaks at {after.PeakMiB:F0} MiB "
                    + $"(the hosts' workstation, background GC: {boundedPeak:F0} MiB); RSS before the burst {before.RssMiB:F0} MiB, after {after.RssMiB:F0} MiB; statuses {Describe(statuses)}.");
                continue;
            }

            if (bounded)
            {
                boundedPeak = after.PeakMiB;
                var target = (bound * argon2MiB) + 200.0;
                report.Add(new Row($"memory: Standalone peak RSS (VmHWM) under 64 concurrent logins, bound = {bound} hashes",
                    $"{after.PeakMiB:F0} MiB", $"≤ {bound} × 19 MiB + 200 MiB = {target:F0} MiB", Ratio(after.PeakMiB / target), after.PeakMiB <= target));
            }
            else
            {
                report.Add(new Row("memory (issue 4): the same without the bound (MaxConcurrentHashes = 1000)",
                    $"{after.PeakMiB:F0} MiB", "reported (vs bounded peak)", $"{Ratio(after.PeakMiB / boundedPeak)} of bounded", null));
            }

            report.Note($"memory {(bounded ? "bounded" : "unbounded")}: RSS before the burst {before.RssMiB:F0} MiB (peak so far {before.PeakMiB:F0}), "
                + $"after {after.RssMiB:F0} MiB; 64 logins took {seconds:F1} s, statuses {Describe(statuses)}.");
        }
    }
}
