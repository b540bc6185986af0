using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Serverless.Auth.Storage;
using Serverless.Auth.Tokens;
using Serverless.Benchmarks.Infrastructure;
using Serverless.Testing;

namespace Serverless.Benchmarks;

internal sealed partial class Suite
{
    private const int SmallLive = 1_000;
    private const int NewPerSync = 20;
    private const int FleetSize = 50;

    [System.Text.RegularExpressions.GeneratedRegex(@"Revoked\d{12}")]
    private static partial System.Text.RegularExpressions.Regex LogTableName();

    /// <summary>
    /// Issue 17 on an Azurite of its own: (a) one steady-state revocation sync with 100,000 live
    /// revocations vs 1,000, the same new ones in each, now and with the old filter shape; (b) a fleet
    /// of sync loops in this process under a steady stream of revocations: storage reads and how long a
    /// revocation takes to reach every instance; (c) storage round trips per request, counted.
    /// </summary>
    private async Task RevocationScaleAsync(string signingKey)
    {
        await using var azurite = await AzuriteProcess.StartNewAsync();
        await StorageRoundTripsAsync(azurite.ConnectionString, signingKey);
        await SyncVersusLiveStateAsync(azurite.ConnectionString);
        await FleetAsync(azurite.ConnectionString);
    }

    /// <summary>
    /// Storage round trips per request, counted by a pipeline policy on the app's table and queue clients (the same
    /// counts StorageOperationCountTests enforces). Background work (the revocation sync, a minute apart
    /// here; the mail sender; the clean-up) is kept out of the window.
    /// </summary>
    private async Task StorageRoundTripsAsync(string connectionString, string signingKey)
    {
        Section("scale2: storage round trips per request");
        var counter = new StorageOperations();
        var settings = ApiSettings.Create(connectionString, "Ops", signingKey);
        settings["Auth:Revocation:SyncIntervalMilliseconds"] = "60000";
        settings["Auth:Revocation:StaleAfterMilliseconds"] = "120000";
        // The mail sender polls its queue in the background, outside any request: not on this host.
        await using var api = await TestApi.StartAsync(settings, builder =>
        {
            ApiSettings.WithoutMailSender(builder);
            builder.Services.PostConfigure<StorageOptions>(o => o.PipelineObserver = counter);
        });
        using var client = new ApiClient(api.BaseAddress);
        while (!api.Service<RevocationList>().HasSynced)
        {
            await Task.Delay(20);
        }

        await Task.Delay(500);
        counter.Take();
        var counts = new List<string>();
        async Task<Outcome> Count(string name, Func<Task<HttpResponseMessage>> call, int status)
        {
            var outcome = await ApiClient.TimeAsync(call);
            Expect(outcome, status, name);
            var ops = counter.Take().Select(op => LogTableName().Replace(op.Replace("Ops", "", StringComparison.Ordinal), "RevokedLog")).ToList();
            counts.Add($"{name} {ops.Count}");
            report.Note($"scale2 round trips, {name}: {ops.Count} ({(ops.Count == 0 ? "none" : string.Join(", ", ops))})");
            return outcome;
        }

        const string email = "counted@scale2.bench.test";
        await Count("signup", () => client.SignupAsync(email), 201);
        var login = await Count("login", () => client.LoginAsync(email), 200);
        await Count("verify", () => client.VerifyAsync(login.Token), 200);
        var refreshed = await Count("refresh", () => client.RefreshAsync(login.Refresh!, login.Device!), 200);
        await Count("logout", () => client.LogoutAsync(refreshed.Token!, refreshed.Refresh), 204);
        var again = await ApiClient.TimeAsync(() => client.LoginAsync(email));
        counter.Take();
        await Count("logout-all", () => client.LogoutAllAsync(again.Token!), 204);
        await Count("forgot-password", () => client.ForgotPasswordAsync(email), 202);
        report.Add(new Row("storage round trips per request (issue 17), counted by a pipeline policy on the app's table and queue clients (Azurite)",
            string.Join(", ", counts), "verify 0; login no more than today (enforced by StorageOperationCountTests)", "—", null));
    }

    private async Task SyncVersusLiveStateAsync(string connectionString)
    {
        var largeLive = Count(100_000, 10_000);
        Section($"scale2: inserting {largeLive:N0} + {SmallLive:N0} live revocations, new layout and old");
        var now = DateTimeOffset.UtcNow;
        var started = Stopwatch.GetTimestamp();
        var small = RevocationFleetMember.Create(connectionString, "RevSmall");
        var large = RevocationFleetMember.Create(connectionString, "RevLarge");
        await InsertLiveAsync(small.Store, SmallLive, now);
        await InsertLiveAsync(large.Store, largeLive, now);
        var oldSmall = await InsertOldShapeAsync(connectionString, "RevOldSmall", SmallLive, now);
        var oldLarge = await InsertOldShapeAsync(connectionString, "RevOldLarge", largeLive, now);
        report.Note($"scale2: inserted {2 * (largeLive + SmallLive):N0} rows in {ElapsedMs(started) / 1000:F0} s (batch transactions of 100, one partition each).");

        // The first sync loads everything live (once per instance start); later ones only what is new.
        var firstLarge = await TimeAsync(() => large.List.SyncAsync(CancellationToken.None));
        var firstSmall = await TimeAsync(() => small.List.SyncAsync(CancellationToken.None));

        var rounds = Count(31, 7);
        var oldRounds = Count(9, 5);
        var newMs = new Dictionary<bool, List<double>> { [false] = [], [true] = [] };
        var oldMs = new Dictionary<bool, List<double>> { [false] = [], [true] = [] };
        for (var round = 0; round < rounds + 2; round++)
        {
            foreach (var isLarge in round % 2 == 0 ? new[] { true, false } : [false, true])
            {
                var member = isLarge ? large : small;
                for (var i = 0; i < NewPerSync; i++)
                {
                    await member.List.RevokeSessionAsync($"new-{round}-{i}", CancellationToken.None);
                }

                var sync = await TimeAsync(() => member.List.SyncAsync(CancellationToken.None));
                if (round >= 2)
                {
                    newMs[isLarge].Add(sync);
                }

                // The old shape costs seconds at 100,000 rows: fewer rounds of it.
                if (round >= 2 && round < 2 + oldRounds)
                {
                    oldMs[isLarge].Add(await TimeAsync(() => QueryOldShapeAsync(isLarge ? oldLarge : oldSmall, DateTimeOffset.UtcNow)));
                }
            }
        }

        var label = largeLive >= 100_000 ? "100,000" : $"{largeLive:N0} (--quick)";
        var ratio = Stats.Median(newMs[true]) / Stats.Median(newMs[false]);
        report.Add(new Row($"revocation sync vs live state (issue 17): one steady-state sync, {label} live revocations vs {SmallLive:N0}, {NewPerSync} new before each ({rounds} syncs each, interleaved; per-minute change-log tables)",
            $"{Ms(Stats.Median(newMs[true]))} vs {Ms(Stats.Median(newMs[false]))}", "≤ 1.2×", Ratio(ratio), ratio <= 1.2));
        var oldRatio = Stats.Median(oldMs[true]) / Stats.Median(oldMs[false]);
        report.Add(new Row($"before (issue 17): the old sync filter (`PartitionKey ge <hour> and Timestamp ge <last seen>`, one table, expiry-hour partitions), {label} live vs {SmallLive:N0} ({oldRounds} queries each)",
            $"{Ms(Stats.Median(oldMs[true]))} vs {Ms(Stats.Median(oldMs[false]))}", "reported (before)", Ratio(oldRatio), null));
        report.Note($"scale2 sync: p90 {Ms(Stats.Percentile(newMs[true], 90))} vs {Ms(Stats.Percentile(newMs[false], 90))}; the first sync after start-up loads everything live: {Ms(firstLarge)} with {label} vs {Ms(firstSmall)} with {SmallLive:N0}. "
            + "The live rows sit in the minute tables 2–16 minutes back; each steady sync reads this minute's table from 5 s before its last sync (on Azurite: scans this minute's table).");
    }

    private async Task FleetAsync(string connectionString)
    {
        var phases = new (string Name, int PerSecond, int ExtraLive)[] { ("10/s", 10, 0), ("30/s", 30, 0), ("10/s + 20,000 live", 10, Count(20_000, 2_000)) };
        var seconds = Count(20, 6);
        foreach (var (name, perSecond, extraLive) in phases)
        {
            Section($"scale2 fleet: {FleetSize} sync loops, {perSecond} revocations/s, {seconds} s");
            var table = "RevFleet" + perSecond + (extraLive > 0 ? "L" : "");
            var counter = new StorageOperations();
            var fleet = Enumerable.Range(0, FleetSize).Select(_ => RevocationFleetMember.Create(connectionString, table, counter)).ToList();
            var writer = RevocationFleetMember.Create(connectionString, table);
            if (extraLive > 0)
            {
                await InsertLiveAsync(writer.Store, extraLive, DateTimeOffset.UtcNow);
            }

            using var stop = new CancellationTokenSource();
            // Each starts its hosted sync loop at its own moment in the second, as independent instances do.
            for (var i = 0; i < FleetSize; i++)
            {
                await fleet[i].List.StartAsync(CancellationToken.None);
                await Task.Delay(1000 / FleetSize);
            }

            // Past every first sync (it loads everything live, once per instance), into the steady state.
            while (!fleet.All(m => m.List.HasSynced))
            {
                await Task.Delay(50);
            }


            await Task.Delay(TimeSpan.FromSeconds(3));
            var events = new StrongBox<long>();
            var stream = StreamAsync(writer, perSecond, events, stop.Token);

            var eventsBefore = Interlocked.Read(ref events.Value);
            var roundTripsBefore = counter.Total;
            var readBefore = fleet.Sum(m => m.List.EntriesRead);
            var windowStarted = Stopwatch.GetTimestamp();
            var arrivals = new List<double>();
            var probe = 0;
            while (Stopwatch.GetElapsedTime(windowStarted) < TimeSpan.FromSeconds(seconds))
            {
                var session = $"probe-{probe++}";
                var written = Stopwatch.GetTimestamp();
                await writer.List.RevokeSessionAsync(session, CancellationToken.None);
                Interlocked.Increment(ref events.Value);
                while (!fleet.All(m => m.List.IsSessionEnded("probe", session, DateTimeOffset.UtcNow)) && Stopwatch.GetElapsedTime(written) < TimeSpan.FromSeconds(10))
                {
                    await Task.Delay(5);
                }

                arrivals.Add(ElapsedMs(written));
                await Task.Delay(300);
            }

            var window = Stopwatch.GetElapsedTime(windowStarted).TotalSeconds;
            var roundTrips = (counter.Total - roundTripsBefore) / window;
            var entries = (fleet.Sum(m => m.List.EntriesRead) - readBefore) / window;
            var eventsPerSecond = (Interlocked.Read(ref events.Value) - eventsBefore) / window;
            await stop.CancelAsync();
            await stream;
            await Task.WhenAll(fleet.Select(m => m.List.StopAsync(CancellationToken.None)));

            var perEvent = entries / (FleetSize * eventsPerSecond);
            var worst = arrivals.Max();
            report.Add(new Row($"fleet (issue 17): {FleetSize} sync loops in one process, one Azurite, {name}: worst time for a revocation to reach all {FleetSize} ({arrivals.Count} probes)",
                $"worst {Ms(worst)}, median {Ms(Stats.Median(arrivals))}", "≤ 2 s", Ratio(worst / 2000), worst <= 2000));
            report.Add(new Row($"fleet (issue 17), {name}: storage reads vs instances × new events ({FleetSize} × {eventsPerSecond:F1}/s with the probes = {FleetSize * eventsPerSecond:F0}/s)",
                $"{entries:F0} entities/s in {roundTrips:F0} round trips/s", "entities/s ∝ instances × new events (≈ (1 + overlap 5 s / interval 1 s) per event), independent of live state", $"{perEvent:F1} per instance-event", null));
            report.Note($"scale2 fleet {name}: {arrivals.Count(a => a > 2000)} of {arrivals.Count} probes took over 2 s; {roundTrips / FleetSize:F2} sync round trips per instance per second.");
        }
    }

    /// <summary>A steady stream of session revocations from one writer, until stopped.</summary>
    private static async Task StreamAsync(RevocationFleetMember writer, int perSecond, StrongBox<long> events, CancellationToken stop)
    {
        var written = 0;
        var started = Stopwatch.GetTimestamp();
        while (!stop.IsCancellationRequested)
        {
            var due = (int)(Stopwatch.GetElapsedTime(started).TotalSeconds * perSecond);
            while (written < due)
            {
                await writer.List.RevokeSessionAsync($"stream-{written++}", CancellationToken.None);
                Interlocked.Increment(ref events.Value);
            }

            try
            {
                await Task.Delay(20, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static async Task<double> TimeAsync(Func<Task> action)
    {
        var started = Stopwatch.GetTimestamp();
        await action();
        return ElapsedMs(started);
    }

    /// <summary>Live revocations in the change-log tables of the minutes 2–16 back (written earlier, still covering live tokens).</summary>
    private static Task InsertLiveAsync(RevocationStore store, int count, DateTimeOffset now) =>
        InsertBatchesAsync(count, async (batch, keys) =>
        {
            var minute = now.AddMinutes(-2 - batch % 15);
            var table = store.LogTable(minute);
            await table.CreateIfNotExistsAsync();
            var partition = (batch / 15 % 60).ToString("00", CultureInfo.InvariantCulture) + (batch % 16).ToString("x", CultureInfo.InvariantCulture);
            await table.SubmitTransactionAsync(keys.Select(key => new TableTransactionAction(TableTransactionActionType.UpsertReplace,
                RevocationStore.ToEntity(new RevocationEntry(key, now.AddMinutes(15)), partition, key))));
        });

    /// <summary>The old layout: one table, partition = expiry hour, row = key.</summary>
    private static async Task<TableClient> InsertOldShapeAsync(string connectionString, string name, int count, DateTimeOffset now)
    {
        var table = new TableClient(connectionString, name);
        await table.CreateIfNotExistsAsync();
        await InsertBatchesAsync(count, async (batch, keys) =>
        {
            var expiry = now.AddMinutes(15 + batch % 2 * 60);
            var partition = expiry.UtcDateTime.ToString("yyyyMMddHH", CultureInfo.InvariantCulture);
            await table.SubmitTransactionAsync(keys.Select(key => new TableTransactionAction(TableTransactionActionType.UpsertReplace,
                new TableEntity(partition, key) { ["ExpiresAt"] = expiry })));
        });
        return table;
    }

    private static async Task QueryOldShapeAsync(TableClient table, DateTimeOffset now)
    {
        var hour = (now - TimeSpan.FromHours(1)).UtcDateTime.ToString("yyyyMMddHH", CultureInfo.InvariantCulture);
        var filter = TableClient.CreateQueryFilter($"PartitionKey ge {hour} and Timestamp ge {now - TimeSpan.FromSeconds(10)}");
        await foreach (var _ in table.QueryAsync<TableEntity>(filter, select: ["RowKey", "ExpiresAt", "NotBefore", "Timestamp"]))
        {
        }
    }

    private static Task InsertBatchesAsync(int count, Func<int, IEnumerable<string>, Task> insert) =>
        Parallel.ForEachAsync(Enumerable.Range(0, (count + 99) / 100), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (batch, _) =>
            await insert(batch, Enumerable.Range(batch * 100, Math.Min(100, count - batch * 100)).Select(i => $"live-{i:D7}")));
}

/// <summary>One simulated instance: its own revocation list (a hosted sync loop) and change-log state over shared tables.</summary>
internal sealed class RevocationFleetMember
{
    private RevocationFleetMember(RevocationStore store, RevocationList list)
    {
        Store = store;
        List = list;
    }

    public RevocationStore Store { get; }
    public RevocationList List { get; }

    public static RevocationFleetMember Create(string connectionString, string table, StorageOperations? counter = null)
    {
        var storage = Options.Create(new StorageOptions { ConnectionString = connectionString, RevocationsTable = table, PipelineObserver = counter });
        var tables = new AuthTables(storage);
        tables.Revocations.CreateIfNotExists();
        var store = new RevocationStore(tables, storage, Options.Create(new JwtOptions()));
        var list = new RevocationList(store, TimeProvider.System, Options.Create(new RevocationOptions()), NullLogger<RevocationList>.Instance);
        return new RevocationFleetMember(store, list);
    }
}
