using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Serverless.Auth.Events;
using Serverless.Auth.Http;
using Serverless.Auth.Storage;
using Serverless.Benchmarks.Infrastructure;
using Serverless.Testing;
using EventLog = Serverless.Auth.Events.EventLog;

namespace Serverless.Benchmarks;

internal sealed partial class Suite
{
    /// <summary>The fleet log's offered rate in the throughput row (issue 31: "the fleet log takes 500 events/s").</summary>
    private const int FleetEventsPerSecond = 500;

    /// <summary>
    /// Issue 31, the security event log. Two rows, each measured in one run:
    /// <list type="number">
    /// <item>Login with the stored event log on vs off: two in-process API instances on the same Azurite (tables <c>*EvOn</c>
    /// and <c>*EvOff</c>, the second with <c>Auth__Events__StoreInTables=false</c>), the same product Argon2 settings, one
    /// account each in a returning browser (its device cookie honoured: no device write). One loop: the login on each
    /// instance and one event write alone (<see cref="EventLog.WriteAsync"/> of a <c>login.succeeded</c> for the "on"
    /// account: its user row ∥ a fleet row): the logins alternate which goes first, the write goes before, between or after
    /// them in turn; then a sign-out on each (not timed), so the session lists stay one row long.</item>
    /// <item>The fleet log at <see cref="FleetEventsPerSecond"/> events/s: <see cref="EventLog.WriteAsync"/> of events with no
    /// user id (a failed login of an unknown address: fleet row only), started on a fixed schedule whatever the earlier
    /// ones are doing (open loop), for 10 s; achieved rate, write latency, errors; then the rows read back from the day
    /// table(s) and counted per partition.</item>
    /// </list>
    /// </summary>
    private async Task EventsAsync(string connectionString, string signingKey)
    {
        Section("events: login with the event log on vs off; the fleet log at 500 events/s");
        var (onStorage, offStorage) = (new StorageOperations(), new StorageOperations());
        await using var on = await StartEventsApiAsync(connectionString, "EvOn", signingKey, storeInTables: true, onStorage);
        await using var off = await StartEventsApiAsync(connectionString, "EvOff", signingKey, storeInTables: false, offStorage);
        await EventsLoginAsync(on, off, onStorage, offStorage);
        await FleetThroughputAsync(on, connectionString);
    }

    private static Task<TestApi> StartEventsApiAsync(string connectionString, string tables, string signingKey, bool storeInTables, StorageOperations storage)
    {
        var settings = ApiSettings.Create(connectionString, tables, signingKey);
        settings["Auth:Events:StoreInTables"] = storeInTables ? "true" : "false";
        return TestApi.StartAsync(settings, builder =>
        {
            ApiSettings.WithoutMailSender(builder);
            builder.Services.PostConfigure<StorageOptions>(o => o.PipelineObserver = storage);
        });
    }

    private async Task EventsLoginAsync(TestApi on, TestApi off, StorageOperations onStorage, StorageOperations offStorage)
    {
        using var onBrowser = new Browser(on.BaseAddress);
        using var offBrowser = new Browser(off.BaseAddress);
        var onUserId = await SignedUpReturningAsync(onBrowser, "events-on@bench.test");
        await SignedUpReturningAsync(offBrowser, "events-off@bench.test");
        var log = on.Service<EventLog>();

        var (ons, offs, writes, differences) = (new List<double>(), new List<double>(), new List<double>(), new List<double>());
        var (onBeforeOff, onAfterOff) = (new List<double>(), new List<double>());
        List<string>? onOps = null, offOps = null;
        const int warmUp = 20;
        for (var i = 0; i < warmUp + Count(500, 30); i++)
        {
            (double Milliseconds, string Status) onLogin = (0, "not run"), offLogin = (0, "not run");
            double write = 0;
            async Task On() => onLogin = await TimedAsync(() => onBrowser.PostAsync(AuthApi.Login.Path, new { email = "events-on@bench.test", password = ApiClient.Password }));
            async Task Off() => offLogin = await TimedAsync(() => offBrowser.PostAsync(AuthApi.Login.Path, new { email = "events-off@bench.test", password = ApiClient.Password }));
            async Task Write()
            {
                var signedIn = new AuthEvent(AuthEventKind.SignedIn, onUserId, Guid.NewGuid().ToString("N"), DateTimeOffset.UtcNow, "127.0.0.1") { UserAgent = "bench", Detail = "password" };
                var started = Stopwatch.GetTimestamp();
                await log.WriteAsync(signedIn, CancellationToken.None);
                write = ElapsedMs(started);
            }

            // The two logins alternate which goes first; the write goes before, between or after them in turn: each order
            // of the six as often.
            var onFirst = i % 2 == 0;
            var steps = new List<(Func<Task> Run, StorageOperations? Storage)> { onFirst ? (On, onStorage) : (Off, offStorage), onFirst ? (Off, offStorage) : (On, onStorage) };
            steps.Insert(i / 2 % 3, (Write, null));
            foreach (var (run, storage) in steps)
            {
                // Storage requests of one login on each instance, past the warm-up (the revocation sync's own reads left out).
                var counted = i == warmUp && storage is not null;
                storage?.Take();
                await run();
                if (counted)
                {
                    var operations = storage!.Take().Where(o => !o.Contains(" Revoked", StringComparison.Ordinal)).ToList();
                    (onOps, offOps) = storage == onStorage ? (operations, offOps) : (onOps, operations);
                }
            }

            Expect(onLogin.Status, SessionResponse.SignedIn, "the login with events stored");
            Expect(offLogin.Status, SessionResponse.SignedIn, "the login with events not stored");
            // Not timed: signed out again, so each account's session list stays one row long.
            Require(await onBrowser.PostAsync(AuthApi.Logout.Path), 204, "sign-out (events on)");
            Require(await offBrowser.PostAsync(AuthApi.Logout.Path), 204, "sign-out (events off)");
            if (i < warmUp)
            {
                continue;
            }

            ons.Add(onLogin.Milliseconds);
            offs.Add(offLogin.Milliseconds);
            writes.Add(write);
            differences.Add(onLogin.Milliseconds - offLogin.Milliseconds);
            (onFirst ? onBeforeOff : onAfterOff).Add(onLogin.Milliseconds / offLogin.Milliseconds);
        }

        var (onP50, offP50, writeP50) = (Stats.Median(ons), Stats.Median(offs), Stats.Median(writes));
        var (low, high) = BootstrapMedianDifference(ons, offs);
        report.Add(new Row($"security events (issue 31): `POST /api/auth/login` p50 with the stored event log on vs off (`Auth__Events__StoreInTables=false`): two in-process instances on the same Azurite, product Argon2 (m=19456, t=2, p=1), {ons.Count} logins each of one account in a returning browser, interleaved (which goes first alternating) with an event write alone",
            $"{Ms(onP50)} vs {Ms(offP50)}", "≤ 1.03×", Ratio(onP50 / offP50), onP50 / offP50 <= 1.03));
        report.Note($"events: p50 difference on − off {onP50 - offP50:+0.0;-0.0} ms, 95 % bootstrap interval [{low:+0.0;-0.0}, {high:+0.0;-0.0}] ms, "
            + $"i.e. a ratio between {Ratio((offP50 + low) / offP50)} and {Ratio((offP50 + high) / offP50)}; "
            + $"login p10–p90 on {Ms(Stats.Percentile(ons, 10))}–{Ms(Stats.Percentile(ons, 90))}, off {Ms(Stats.Percentile(offs, 10))}–{Ms(Stats.Percentile(offs, 90))}; "
            + $"median of the per-sample differences {Ms(Stats.Median(differences))} (p25–p75 {Ms(Stats.Percentile(differences, 25))} – {Ms(Stats.Percentile(differences, 75))}); "
            + $"median per-sample ratio when on went first {Ratio(Stats.Median(onBeforeOff))}, second {Ratio(Stats.Median(onAfterOff))}. "
            + $"The event write alone (`EventLog.WriteAsync` of a login.succeeded: the user's row ∥ a fleet row, same loop): p50 {Ms(writeP50)}, p90 {Ms(Stats.Percentile(writes, 90))}; "
            + $"off p50 + write p50 = {Ms(offP50 + writeP50)}, {Ratio((offP50 + writeP50) / offP50)} of off. "
            + $"Storage requests of one login: on {Describe(onOps)}; off {Describe(offOps)}.");
    }

    /// <summary>Signs up in <paramref name="browser"/> and out again, keeping the device cookie: a returning browser. The user id.</summary>
    private static async Task<string> SignedUpReturningAsync(Browser browser, string email)
    {
        using var signup = await browser.PostAsync(AuthApi.Signup.Path, new { email, password = ApiClient.Password });
        Require(signup, 201, "signup");
        var userId = System.Text.Json.JsonDocument.Parse(await signup.Content.ReadAsStringAsync()).RootElement.GetProperty("userId").GetString()!;
        Require(await browser.PostAsync(AuthApi.Logout.Path), 204, "sign-out after the signup");
        if (!browser.Holds(ApiClient.DeviceCookieName))
        {
            throw new InvalidOperationException("the browser holds no device cookie after signing up: its logins would each write a new device");
        }

        return userId;
    }

    /// <summary>
    /// Open loop: event i is started at i / rate seconds after the first, whatever the earlier writes are doing, so a slow
    /// log shows as latency and a backlog, not as a lower offered rate. Each is a fleet-only event (no user id) with a
    /// marker in its detail, so the read-back counts this run's rows only.
    /// </summary>
    private async Task FleetThroughputAsync(TestApi api, string connectionString)
    {
        var seconds = Count(10, 3);
        var total = FleetEventsPerSecond * seconds;
        var log = api.Service<EventLog>();
        var marker = "bench-" + Guid.NewGuid().ToString("N")[..12];
        AuthEvent NewEvent() => new(AuthEventKind.LoginFailed, "", null, DateTimeOffset.UtcNow, "203.0.113.7") { UserAgent = "bench", Detail = marker };

        // Warm-up (not counted, its own marker): the day table made, the code jitted, then 2 s at the rate so the
        // connections the rate needs are open (the SDK's pool: 50 per server) before the window starts.
        var warm = marker + "-warm";
        for (var i = 0; i < 50; i++)
        {
            await log.WriteAsync(NewEvent() with { Detail = warm }, CancellationToken.None);
        }

        var warmWrites = new List<Task>();
        await PacedAsync(FleetEventsPerSecond * Count(2, 1), (_, _) => warmWrites.Add(log.WriteAsync(NewEvent() with { Detail = warm }, CancellationToken.None)));
        await Task.WhenAll(warmWrites);

        var latencies = new double[total];
        var lateness = new double[total];
        var completedAt = new double[total];
        var errors = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var writes = new Task[total];
        var (inFlight, maxInFlight) = (0, 0);
        var firstDay = DateTimeOffset.UtcNow;
        var cpu = new CpuMeter();
        var (ownBefore, azuriteBefore) = (Environment.CpuUsage.TotalTime, azuritePid is { } p0 ? ProcessCpu.Of(p0) : TimeSpan.Zero);
        var started = Stopwatch.GetTimestamp();

        async Task WriteOne(int index)
        {
            var at = Stopwatch.GetTimestamp();
            var now = Interlocked.Increment(ref inFlight);
            int seen;
            while (now > (seen = Volatile.Read(ref maxInFlight)) && Interlocked.CompareExchange(ref maxInFlight, now, seen) != seen)
            {
            }

            try
            {
                await log.WriteAsync(NewEvent(), CancellationToken.None);
            }
            catch (Exception e)
            {
                errors.AddOrUpdate(e is RequestFailedException r ? $"{e.GetType().Name} {r.Status}" : e.GetType().Name, 1, (_, n) => n + 1);
            }
            finally
            {
                Interlocked.Decrement(ref inFlight);
                latencies[index] = ElapsedMs(at);
                completedAt[index] = ElapsedMs(started);
            }
        }

        await PacedAsync(total, (i, late) => (lateness[i], writes[i]) = (late, WriteOne(i)), started);
        var issuedMs = ElapsedMs(started);
        await Task.WhenAll(writes);
        var doneMs = ElapsedMs(started);
        var (busy, own, azuriteCpu) = (cpu.BusyFraction(), Environment.CpuUsage.TotalTime - ownBefore, (azuritePid is { } p1 ? ProcessCpu.Of(p1) : TimeSpan.Zero) - azuriteBefore);
        var failed = errors.Values.Sum();
        var written = total - failed;
        var achieved = written / (doneMs / 1000);
        var inWindow = completedAt.Count(t => t <= seconds * 1000.0);
        var bySecond = completedAt.GroupBy(t => (int)(t / 1000)).OrderBy(g => g.Key).Select(g => g.Count().ToString(CultureInfo.InvariantCulture));

        // Read back: this run's rows in the day table(s) the window touched, counted per partition and per second.
        var prefix = api.Service<IOptions<StorageOptions>>().Value.FleetEventsTable;
        var days = Enumerable.Range(0, (DateTimeOffset.UtcNow.UtcDateTime.Date - firstDay.UtcDateTime.Date).Days + 1).Select(d => firstDay.UtcDateTime.Date.AddDays(d));
        var rows = new List<(string Partition, long Ticks)>();
        var readStarted = Stopwatch.GetTimestamp();
        foreach (var day in days)
        {
            var table = new TableClient(connectionString, prefix + day.ToString("yyyyMMdd", CultureInfo.InvariantCulture));
            try
            {
                await foreach (var row in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"Detail eq {marker}"), select: ["PartitionKey", "RowKey"]))
                {
                    rows.Add((row.PartitionKey, long.Parse(row.RowKey.AsSpan(0, 19), CultureInfo.InvariantCulture)));
                }
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                // The read went past midnight after the last write: that day has no table.
            }
        }

        var readMs = ElapsedMs(readStarted);
        var perShard = rows.GroupBy(r => r.Partition).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var (maxShard, maxCount) = perShard.MaxBy(s => s.Value) is var m ? (m.Key, m.Value) : ("none", 0);
        var minCount = perShard.Count == 0 ? 0 : perShard.Values.Min();
        var maxShare = rows.Count == 0 ? 1 : (double)maxCount / rows.Count;
        var expected = 1.0 / EventLog.Shards;
        var sigma = Math.Sqrt(expected * (1 - expected) / Math.Max(1, rows.Count));
        // Per second of event time: the busiest partition's writes and its share of that second's.
        var perSecond = rows.GroupBy(r => r.Ticks / TimeSpan.TicksPerSecond)
            .Select(s => (Total: s.Count(), Max: s.GroupBy(r => r.Partition).Max(g => g.Count())))
            .Where(s => s.Total >= FleetEventsPerSecond * 9 / 10)
            .ToList();

        report.Add(new Row($"security events (issue 31): the fleet log at {FleetEventsPerSecond} events/s offered for {seconds} s on Azurite (`EventLog.WriteAsync` from this process, fleet-only events: no user id; started on a fixed schedule, open loop)",
            $"{achieved:F0} events/s achieved ({written} of {total} written in {doneMs / 1000:F2} s); {failed} errors; write p50 {Ms(Stats.Median(latencies))}, p99 {Ms(Stats.Percentile(latencies, 99))}",
            $"{FleetEventsPerSecond}/s, no errors", Ratio(achieved / FleetEventsPerSecond), failed == 0 && achieved >= 0.99 * FleetEventsPerSecond));
        report.Add(new Row($"security events (issue 31): the fleet log's partitions: largest share of the {FleetEventsPerSecond}-events/s run's writes in one partition, read back from the day table ({EventLog.Shards} shards chosen at random per event)",
            $"{maxShare:P2} (shard {maxShard}, {maxCount} of {rows.Count}); smallest {(rows.Count == 0 ? 0 : (double)minCount / rows.Count):P2}; {perShard.Count} partitions",
            "≤ 10 %", Ratio(maxShare / 0.10) + " of the limit", rows.Count == written && maxShare <= 0.10));
        var worstSecond = perSecond.Count == 0 ? (Total: 0, Max: 0) : perSecond.MaxBy(s => (double)s.Max / s.Total);
        report.Note($"events fleet: writes started late vs the schedule p99 {Ms(Stats.Percentile(lateness, 99))}, max {Ms(lateness.Max())}; last started at {issuedMs / 1000:F2} s, all done at {doneMs / 1000:F2} s; "
            + $"{inWindow} done within the {seconds} s window ({inWindow / (double)seconds:F0}/s; done per second from the first start: {string.Join(", ", bySecond)}); most in flight at once {maxInFlight}; "
            + $"write latency p50 {Ms(Stats.Median(latencies))}, p90 {Ms(Stats.Percentile(latencies, 90))}, p99 {Ms(Stats.Percentile(latencies, 99))}, max {Ms(latencies.Max())}; "
            + $"errors: {(errors.IsEmpty ? "none" : string.Join(", ", errors.Select(e => $"{e.Key}×{e.Value}")))}. "
            + $"During the run the machine was {busy:P0} busy ({busy * Cores:F2} of {Cores} cores): this process {own.TotalSeconds / (doneMs / 1000):F2} cores = {own.TotalMicroseconds / Math.Max(1, written):F0} µs CPU per event, "
            + $"Azurite {azuriteCpu.TotalSeconds / (doneMs / 1000):F2} cores = {azuriteCpu.TotalMicroseconds / Math.Max(1, written):F0} µs per event (Azurite is one Node.js thread).");
        report.Note($"events fleet read-back: {rows.Count} rows with this run's marker ({(rows.Count == written ? "= the writes that succeeded" : $"**≠ the {written} writes that succeeded**")}), read in {Ms(readMs)}; "
            + $"per partition: {string.Join(", ", perShard.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key} {s.Value}"))}; "
            + $"expected share 1/{EventLog.Shards} = {expected:P2} ± {sigma:P2} (one standard deviation at {rows.Count} writes). "
            + $"Per second of event time (the {perSecond.Count} seconds with at least 90 % of the rate): the busiest partition took at most {(perSecond.Count == 0 ? 0 : perSecond.Max(s => s.Max))} writes in one second "
            + $"(Azure's scalability target for one table partition: 2,000 entities/s); its largest share of one second's writes {(worstSecond.Total == 0 ? 0 : (double)worstSecond.Max / worstSecond.Total):P1} ({worstSecond.Max} of {worstSecond.Total}).");
    }

    /// <summary>
    /// Calls <paramref name="start"/> for 0 … <paramref name="count"/> − 1 on a fixed schedule at <see cref="FleetEventsPerSecond"/>
    /// from <paramref name="from"/> (a timestamp; now if none), with how late each call is (ms): a call that falls
    /// behind is made as soon as the loop gets to it, so the average rate holds.
    /// </summary>
    private static async Task PacedAsync(int count, Action<int, double> start, long? from = null)
    {
        var started = from ?? Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            var due = i * 1000.0 / FleetEventsPerSecond;
            var wait = due - ElapsedMs(started);
            if (wait >= 1)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(wait));
            }

            start(i, Math.Max(0, ElapsedMs(started) - due));
        }
    }
}
