using Serverless.Testing;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Auth.Secrets;
using Serverless.Auth.Sessions;
using Serverless.Auth.Tokens;
using Serverless.Benchmarks.Infrastructure;

namespace Serverless.Benchmarks;

internal sealed partial class Suite
{
    /// <summary>Issue 12: refresh rotation at concurrency 1 (latency, vs its storage floor) and at concurrency 16 (throughput, no 5xx).</summary>
    private async Task RefreshAsync(TestApi api, ApiClient client, string connectionString)
    {
        await RefreshLatencyAsync(api, client, connectionString);
        await RefreshThroughputAsync(client);
    }

    /// <summary>
    /// One chain (each refresh presents the cookie the previous one set), interleaved with what its storage
    /// work costs when done directly: one point read + one ETag-conditional replace of a copy of a session
    /// row, in the same Sessions table, with Azure.Data.Tables from this process.
    /// </summary>
    private async Task RefreshLatencyAsync(TestApi api, ApiClient client, string connectionString)
    {
        Section("refresh latency (concurrency 1, one chain) vs point read + conditional replace");
        var signup = await client.SignupSessionAsync("refresh-chain@bench.test");
        var chain = signup.Refresh!;
        if (!RefreshToken.TryParse(chain, out var parsed))
        {
            throw new InvalidOperationException("the refresh cookie is not a refresh token: " + chain);
        }

        var sessions = new TableClient(connectionString, "Sessions" + MainTables);
        var copy = new TableEntity((await sessions.GetEntityAsync<TableEntity>(parsed.UserId, parsed.SessionId)).Value) { PartitionKey = "bench-floor", RowKey = parsed.SessionId };
        await sessions.UpsertEntityAsync(copy, TableUpdateMode.Replace);

        var refreshes = new List<double>();
        var floors = new List<double>();
        var reads = new List<double>();
        var writes = new List<double>();
        var bares = new List<double>();
        var cutoffReads = new List<double>();
        // Since the round-3 attack fixes a refresh also reads the user's cut-off row (sign-out everywhere)
        // after its compare-and-swap: a point read in the revocations table, usually of a row that is not there.
        var revocations = new TableClient(connectionString, "Revoked" + MainTables);
        const int warmUp = 20;
        for (var i = 0; i < warmUp + Count(500, 100); i++)
        {
            var refresh = await ApiClient.TimeAsync(() => client.RefreshAsync(chain, signup.Device!));
            Expect(refresh, 200, "refresh");
            if (refresh.Refresh is not { } next || next == chain || refresh.Token is null)
            {
                throw new InvalidOperationException("refresh answered 200 without rotating both cookies");
            }

            chain = next;
            var (read, write) = await ReadAndReplaceAsync(sessions, "bench-floor", parsed.SessionId);
            var cutoffStarted = Stopwatch.GetTimestamp();
            await revocations.GetEntityIfExistsAsync<TableEntity>("bench-absent", "usr:" + parsed.UserId);
            var cutoffRead = ElapsedMs(cutoffStarted);
            var bare = await ApiClient.TimeAsync(() => client.GetAsync(BareServer.Path));
            Expect(bare, 200, "bare");
            if (i >= warmUp)
            {
                cutoffReads.Add(cutoffRead);
                refreshes.Add(refresh.Milliseconds);
                floors.Add(read + write);
                reads.Add(read);
                writes.Add(write);
                bares.Add(bare.Milliseconds);
            }
        }

        var refreshP50 = Stats.Median(refreshes);
        var floorP50 = Stats.Median(floors);
        report.Add(new Row($"refresh (issue 12): `POST /api/auth/refresh` p50 at concurrency 1 (one chain, {refreshes.Count} rotations) vs one point read + one conditional (ETag) replace on Azurite (Azure.Data.Tables, same table, interleaved)",
            $"{Ms(refreshP50)} vs {Ms(floorP50)}", "≤ 1.5×", Ratio(refreshP50 / floorP50), refreshP50 / floorP50 <= 1.5));
        var (issueUs, successorUs) = RefreshComponents(api, parsed);
        report.Note($"refresh breakdown (p50, n={refreshes.Count}): refresh {Ms(refreshP50)}, p90 {Ms(Stats.Percentile(refreshes, 90))}, p99 {Ms(Stats.Percentile(refreshes, 99))}; "
            + $"storage floor {Ms(floorP50)} = point read {Ms(Stats.Median(reads))} + conditional replace {Ms(Stats.Median(writes))} (p90 of the pair {Ms(Stats.Percentile(floors, 90))}); "
            + $"HTTP round trip to the bare endpoint on the same host {Ms(Stats.Median(bares))}; CPU in the server, one thread: issuing the access JWT {issueUs:F1} µs, "
            + $"deriving the successor refresh token (HMAC-SHA256 + SHA-256) {successorUs:F1} µs. Rest = refresh − floor − bare = {Ms(refreshP50 - floorP50 - Stats.Median(bares))}. "
            + $"With the cut-off point read every refresh has made since the round-3 fixes ({Ms(Stats.Median(cutoffReads))}), the three-operation floor is "
            + $"{Ms(floorP50 + Stats.Median(cutoffReads))} and refresh is {Ratio(refreshP50 / (floorP50 + Stats.Median(cutoffReads)))} of it.");
    }

    /// <summary>The storage work of one refresh done directly: point read, then replace conditional on the ETag read. Milliseconds of each.</summary>
    private static async Task<(double Read, double Write)> ReadAndReplaceAsync(TableClient sessions, string partition, string row)
    {
        var started = Stopwatch.GetTimestamp();
        var entity = (await sessions.GetEntityIfExistsAsync<TableEntity>(partition, row)).Value
            ?? throw new InvalidOperationException("the floor's session copy is gone");
        var read = ElapsedMs(started);
        entity["Generation"] = (entity.GetInt32("Generation") ?? 0) + 1;
        entity["CurrentHash"] = RefreshToken.Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        started = Stopwatch.GetTimestamp();
        await sessions.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace);
        return (read, ElapsedMs(started));
    }

    /// <summary>The refresh's own CPU work outside storage and HTTP, in microseconds per call: JWT issue, successor derivation.</summary>
    private (double IssueUs, double SuccessorUs) RefreshComponents(TestApi api, RefreshToken token)
    {
        var tokens = api.App.Services.GetRequiredService<AccessTokens>();
        var key = api.App.Services.GetRequiredService<ServerKey>().Keys[0];
        var iterations = Count(20_000, 5_000);
        double Time(Action call)
        {
            for (var i = 0; i < 1_000; i++)
            {
                call();
            }

            var started = Stopwatch.GetTimestamp();
            for (var i = 0; i < iterations; i++)
            {
                call();
            }

            return Stopwatch.GetElapsedTime(started).TotalMicroseconds / iterations;
        }

        return (Time(() => tokens.Issue(token.UserId, "refresh-chain@bench.test", token.SessionId)), Time(() => _ = token.Successor(key).SecretHash));
    }

    /// <summary>16 users, one session each, each refreshing its own chain as fast as it answers for a fixed window.</summary>
    private async Task RefreshThroughputAsync(ApiClient client)
    {
        const int chains = 16;
        Section($"refresh throughput (concurrency {chains}, one chain each)");
        var cookies = new string[chains];
        var devices = new string[chains];
        for (var i = 0; i < chains; i++)
        {
            var signup = await client.SignupSessionAsync($"refresh{i}@bench.test");
            (cookies[i], devices[i]) = (signup.Refresh!, signup.Device!);
        }

        var warmUp = TimeSpan.FromSeconds(2);
        var window = TimeSpan.FromSeconds(Count(20, 5));
        var statuses = new ConcurrentDictionary<int, int>();
        var latencies = new ConcurrentBag<double>();
        var okInWindow = 0;
        var broken = 0;
        var started = Stopwatch.GetTimestamp();
        var cpuTask = MeasureCpuAsync(warmUp, window);
        await Task.WhenAll(Enumerable.Range(0, chains).Select(c => Task.Run(async () =>
        {
            while (Stopwatch.GetElapsedTime(started) < warmUp + window)
            {
                Outcome outcome;
                try
                {
                    outcome = await ApiClient.TimeAsync(() => client.RefreshAsync(cookies[c], devices[c]));
                }
                catch (HttpRequestException)
                {
                    statuses.AddOrUpdate(-1, 1, (_, n) => n + 1);
                    continue;
                }
                catch (TaskCanceledException)
                {
                    statuses.AddOrUpdate(-2, 1, (_, n) => n + 1);
                    continue;
                }

                statuses.AddOrUpdate(outcome.Status, 1, (_, n) => n + 1);
                var at = Stopwatch.GetElapsedTime(started);
                if (outcome.Status == 200 && outcome.Refresh is { } next)
                {
                    cookies[c] = next;
                    if (at >= warmUp && at < warmUp + window)
                    {
                        Interlocked.Increment(ref okInWindow);
                        latencies.Add(outcome.Milliseconds);
                    }
                }
                else if (outcome.Status == 401)
                {
                    // The chain is gone (it should never be: nobody else holds its token); stop this client.
                    Interlocked.Increment(ref broken);
                    return;
                }
            }
        })));
        var (busy, own, azuriteCpu) = await cpuTask;
        var throughput = okInWindow / window.TotalSeconds;
        var serverErrors = statuses.Where(p => p.Key >= 500).Sum(p => p.Value);
        var transport = statuses.Where(p => p.Key < 0).Sum(p => p.Value);
        report.Add(new Row($"refresh throughput (issue 12): refreshes/s at concurrency {chains} ({chains} sessions, each rotating its own chain, {window.TotalSeconds:F0} s after {warmUp.TotalSeconds:F0} s warm-up)",
            $"{throughput:F0}/s; statuses {Describe(statuses)}", "no 5xx", $"{serverErrors} 5xx", serverErrors == 0 && transport == 0));
        var per = Math.Max(1, okInWindow);
        report.Note($"refresh throughput: {okInWindow} rotations in the window, latency p50 {Ms(Stats.Median(latencies))}, p99 {Ms(Stats.Percentile(latencies, 99))}; "
            + $"chains broken (401): {broken}, transport errors: {transport}. During the window the machine was {busy:P0} busy ({busy * Cores:F2} of {Cores} cores): "
            + $"this process (server + client) {own.TotalSeconds / window.TotalSeconds:F2} cores = {own.TotalMicroseconds / per:F0} µs CPU per refresh, "
            + $"Azurite {azuriteCpu.TotalSeconds / window.TotalSeconds:F2} cores = {azuriteCpu.TotalMicroseconds / per:F0} µs per refresh (Azurite is one Node.js thread).");
    }
}
