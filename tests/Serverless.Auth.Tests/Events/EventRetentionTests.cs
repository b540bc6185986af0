using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Serverless.Auth.Http;
using Serverless.Auth.Storage;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;

namespace Serverless.Auth.Tests.Events;

/// <summary>
/// Issue 31: <c>Auth__Events__RetentionDays</c> on a fake clock. The clean-up drops the month and day tables whose whole
/// period is past retention (never row by row) and makes the coming ones; the activity route shows nothing older than
/// retention, even while its table is still there.
/// </summary>
public sealed class EventRetentionTests(AzuriteFixture azurite)
{
    private const string Password = "plum-orchard-lantern-4821";
    private const int RetentionDays = 3;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TablesPastRetentionAreDroppedWholeNewerOnesStayAndTheActivityShowsOnlyEventsWithinIt()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var api = await azurite.StartApiAsync(
            s => s["Auth:Events:RetentionDays"] = RetentionDays.ToString(System.Globalization.CultureInfo.InvariantCulture),
            builder =>
            {
                builder.Services.AddSingleton<TimeProvider>(clock);
                // The clean-up runs here when the test says so, not when the clock jumps.
                builder.Services.RemoveMailAndCleanup();
            });
        var tables = new EventTables(azurite, api);
        var email = Emails.Unique("ev-retention");

        var t0 = clock.GetUtcNow();
        var userId = await new SessionClient(api.Client).SignUpForUserIdAsync(email, Password);
        clock.Advance(TimeSpan.FromDays(40));
        var t1 = clock.GetUtcNow();
        Assert.Equal(HttpStatusCode.OK, (await new SessionClient(api.Client).LoginAsync(email, Password)).StatusCode);
        clock.Advance(TimeSpan.FromDays(2));
        var t2 = clock.GetUtcNow();
        Assert.Equal(HttpStatusCode.OK, (await new SessionClient(api.Client).LoginAsync(email, Password)).StatusCode);
        clock.Advance(TimeSpan.FromDays(2));
        var t3 = clock.GetUtcNow();
        var phone = new SessionClient(api.Client);
        Assert.Equal(HttpStatusCode.OK, (await phone.LoginAsync(email, Password)).StatusCode);

        // All four are stored, each at its time in its period's tables.
        var stored = await tables.UserRowsAsync(userId);
        Assert.Equal([t3, t2, t1, t0], stored.Select(r => r.At));
        Assert.Equal([tables.UserTable(t3), tables.UserTable(t2), tables.UserTable(t1), tables.UserTable(t0)], stored.Select(r => r.Table));
        Assert.Equal([tables.FleetTable(t0), tables.FleetTable(t1), tables.FleetTable(t2), tables.FleetTable(t3)], (await tables.FleetRowsOfAsync(userId)).Select(r => r.Table));

        // Before any clean-up: only what is within retention is shown (t1 is four days back, t2 two).
        var before = await ActivityAsync(phone);
        Assert.Equal([("login.succeeded", t3, true), ("login.succeeded", t2, false)], before);

        await api.Service<StorageCleanup>().RunAsync(Ct);

        var horizon = t3.AddDays(-RetentionDays);
        var userTables = await tables.TableNamesAsync(tables.UserPrefix);
        var fleetTables = await tables.TableNamesAsync(tables.FleetPrefix);
        Assert.DoesNotContain(tables.UserTable(t0), userTables);
        Assert.DoesNotContain(tables.FleetTable(t0), fleetTables);
        Assert.DoesNotContain(tables.FleetTable(t1), fleetTables);
        Assert.Contains(tables.FleetTable(t2), fleetTables);
        Assert.Contains(tables.FleetTable(t3), fleetTables);
        Assert.Contains(tables.UserTable(t3), userTables);
        // Made ahead: tomorrow's day table and next month's table.
        Assert.Contains(tables.FleetTable(t3.AddDays(1)), fleetTables);
        Assert.Contains(tables.UserTable(new DateTimeOffset(t3.Year, t3.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1)), userTables);
        // Whole periods only: every day table left ends after the horizon; a month table stays while any of its days is within.
        Assert.All(fleetTables, name => Assert.True(DayOf(name, tables.FleetPrefix).AddDays(1) > horizon.UtcDateTime, name));
        Assert.All(userTables, name => Assert.True(MonthOf(name, tables.UserPrefix).AddMonths(1) > horizon.UtcDateTime, name));

        // What is left of the user's log: rows are never deleted one by one, so t1's row stays exactly while its month table does.
        var left = await tables.UserRowsAsync(userId);
        var t1MonthKept = userTables.Contains(tables.UserTable(t1));
        Assert.Equal(t1MonthKept ? [t3, t2, t1] : [t3, t2], left.Select(r => r.At));
        Assert.Equal([t2, t3], (await tables.FleetRowsOfAsync(userId)).Select(r => r.At));
        Assert.Equal(before, await ActivityAsync(phone));
    }

    private static async Task<List<(string Type, DateTimeOffset At, bool Current)>> ActivityAsync(SessionClient client)
    {
        var body = await ResponseAssert.JsonAsync(await client.SendAsync(HttpMethod.Get, AuthApi.Activity.Path), HttpStatusCode.OK);
        return [.. body.EnumerateArray().Select(e => (e.GetProperty("type").GetString()!, e.GetProperty("at").GetDateTimeOffset(), e.GetProperty("current").GetBoolean()))];
    }

    private static DateTime DayOf(string table, string prefix) =>
        DateTime.ParseExact(table[prefix.Length..], "yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);

    private static DateTime MonthOf(string table, string prefix) =>
        DateTime.ParseExact(table[prefix.Length..], "yyyyMM", System.Globalization.CultureInfo.InvariantCulture);
}
