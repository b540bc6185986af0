using System.Globalization;
using System.Net;
using System.Text.Json;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Admin;

/// <summary>
/// The fleet log through <c>GET /api/auth/admin/events</c> (issue 31): oldest first, 100 a page with a cursor, a type
/// filter, since; bad parameters are 400; every admin action is in it with the admin's subject (<c>oid</c> when the token
/// has one) as its actor; no address is in it.
/// </summary>
public sealed class AdminEventTests(AdminHosts hosts) : IClassFixture<AdminHosts>
{
    private static readonly string[] EventFields = ["type", "at", "userId", "sessionId", "ipPrefix", "userAgent", "outcome", "detail", "actor"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private TestApi A => hosts.First;

    private TestApi B => hosts.Second;

    private static string Since(DateTimeOffset at) => Uri.EscapeDataString(at.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));

    /// <summary>One page: its events and its next cursor.</summary>
    private async Task<(List<JsonElement> Events, string? Next)> PageAsync(TestApi on, string query, string? token = null)
    {
        var page = await ResponseAssert.JsonAsync(await hosts.EventsAsync(on, query, token), HttpStatusCode.OK);
        Assert.Equal(["events", "next"], Members.Names(page));
        var next = page.GetProperty("next");
        return ([.. page.GetProperty("events").EnumerateArray()], next.ValueKind == JsonValueKind.Null ? null : next.GetString());
    }

    /// <summary>Every page from <paramref name="query"/> on, following the cursor.</summary>
    private async Task<List<JsonElement>> AllAsync(string query, string? token = null)
    {
        var all = new List<JsonElement>();
        string? cursor = null;
        do
        {
            var (events, next) = await PageAsync(A, query + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)), token);
            all.AddRange(events);
            cursor = next;
        }
        while (cursor is not null);

        return all;
    }

    private static string? Actor(JsonElement e) => e.TryGetProperty("actor", out var actor) && actor.ValueKind == JsonValueKind.String ? actor.GetString() : null;

    [Fact]
    public async Task EveryAdminActionIsAnEventWithTheAdminsSubjectOrOidAsItsActor()
    {
        var since = DateTimeOffset.UtcNow;
        var member = await Members.SignUpAsync(A, "admin-actions");
        var entraOid = Guid.NewGuid().ToString();
        var entra = hosts.Token(hosts.Claims(sub: "pairwise-subject-of-entra", oid: entraOid));
        var plain = hosts.Token(hosts.Claims(sub: "support-agent-7"));

        Assert.Equal(HttpStatusCode.OK, (await hosts.FindAsync(A, member.Email, entra)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await hosts.FindAsync(B, Emails.Unique("nobody"), plain)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await hosts.GetAsync(B, member.UserId, plain)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await hosts.ActAsync(A, member.UserId, "disable", entra)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await hosts.ActAsync(B, member.UserId, "enable", plain)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await hosts.ActAsync(A, member.UserId, "signout", entra)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await hosts.ActAsync(B, member.UserId, "resend-confirmation", plain)).StatusCode);
        await PageAsync(A, "?type=signup&since=" + Since(since), entra);
        Assert.Equal(HttpStatusCode.NoContent, (await hosts.ActAsync(A, member.UserId, "delete", plain)).StatusCode);

        var events = await AllAsync("?since=" + Since(since));

        (string Type, string UserId, string? Actor, string? Detail) Row(JsonElement e) =>
            (e.GetProperty("type").GetString()!, e.GetProperty("userId").GetString()!, Actor(e), e.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null);
        var admins = events.Where(e => Actor(e) is { } actor && (actor == entraOid || actor == "support-agent-7")).Select(Row).ToList();
        Assert.Equal(
            [
                ("admin.user_found", member.UserId, entraOid, null),
                ("admin.user_found", "", "support-agent-7", "no_account"),
                ("admin.user_viewed", member.UserId, "support-agent-7", null),
                ("account.disabled", member.UserId, entraOid, null),
                ("account.enabled", member.UserId, "support-agent-7", null),
                ("admin.signout", member.UserId, entraOid, null),
                ("admin.resend_confirmation", member.UserId, "support-agent-7", null),
                ("admin.events_listed", "", entraOid, "signup"),
                ("account.deleted", member.UserId, "support-agent-7", null),
            ],
            admins);
        // The user's own events have no actor; no event carries the address.
        Assert.Contains(events, e => Row(e) == ("signup", member.UserId, null, null));
        Assert.All(events, e => Assert.Equal(EventFields, Members.Names(e)));
        Assert.All(events, e => Assert.DoesNotContain("@", e.GetRawText(), StringComparison.Ordinal));
        Assert.All(events, e => Assert.InRange(e.GetProperty("at").GetDateTimeOffset(), since, DateTimeOffset.UtcNow));
    }

    /// <summary>
    /// The user's own log (their activity) gets the admin's actions on the account, without the operator's address and
    /// browser, and none of the admin's reads: a support agent looking an account up is not the user's activity.
    /// </summary>
    [Fact]
    public async Task TheUsersOwnLogHasTheAdminsActionsWithoutTheOperatorsAddressAndNoneOfItsReads()
    {
        var member = await Members.SignUpAsync(A, "admin-own-log");
        Assert.Equal(HttpStatusCode.OK, (await hosts.FindAsync(A, member.Email)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await hosts.GetAsync(B, member.UserId, userAgent: "SupportConsole/1.0")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await hosts.ActAsync(A, member.UserId, "disable")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await hosts.ActAsync(B, member.UserId, "enable")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await hosts.ActAsync(A, member.UserId, "signout")).StatusCode);

        var own = await hosts.UserEventRowsAsync(member.UserId);
        Assert.Equal(
            ["account.disabled", "account.enabled", "admin.signout", "signup"],
            own.Select(r => r.GetString("Type")).Order(StringComparer.Ordinal));
        Assert.All(own.Where(r => r.GetString("Actor") is not null), r =>
        {
            Assert.Null(r.GetString("IpPrefix"));
            Assert.Null(r.GetString("UserAgent"));
        });
        Assert.NotNull(Assert.Single(own, r => r.GetString("Type") == "signup").GetString("IpPrefix"));

        // The fleet log keeps everything, the reads and the operator's address included.
        var fleet = await AllAsync("?since=" + Since(DateTimeOffset.UtcNow.AddMinutes(-5)));
        var viewed = Assert.Single(fleet, e => e.GetProperty("type").GetString() == "admin.user_viewed" && e.GetProperty("userId").GetString() == member.UserId);
        Assert.Equal("SupportConsole/1.0", viewed.GetProperty("userAgent").GetString());
        Assert.Contains(fleet, e => e.GetProperty("type").GetString() == "admin.user_found" && e.GetProperty("userId").GetString() == member.UserId);
    }

    [Fact]
    public async Task PagesOfAHundredFollowTheCursorOldestFirstWithoutGapOrRepeat()
    {
        var since = DateTimeOffset.UtcNow;
        var member = await hosts.BystanderAsync();
        const int Views = 105;
        for (var batch = 0; batch < Views; batch += 15)
        {
            var views = await Task.WhenAll(Enumerable.Range(batch, Math.Min(15, Views - batch)).Select(i => hosts.GetAsync(i % 2 == 0 ? A : B, member.UserId, userAgent: $"admin-console/{i}")));
            Assert.All(views, v => Assert.Equal(HttpStatusCode.OK, v.StatusCode));
        }

        var query = "?type=admin.user_viewed&since=" + Since(since);
        var (first, next) = await PageAsync(B, query);
        Assert.Equal(100, first.Count);
        Assert.NotNull(next);
        var (second, last) = await PageAsync(A, query + "&cursor=" + Uri.EscapeDataString(next));
        Assert.Equal(Views - 100, second.Count);
        Assert.Null(last);

        var all = first.Concat(second).ToList();
        var times = all.Select(e => e.GetProperty("at").GetDateTimeOffset()).ToList();
        Assert.Equal(times.Order(), times);
        Assert.All(all, e => Assert.Equal(("admin.user_viewed", member.UserId, AdminHosts.Subject), (e.GetProperty("type").GetString(), e.GetProperty("userId").GetString(), Actor(e))));
        // Each view once (told apart by its User-Agent): the second page starts right after the first page's last.
        Assert.Equal(Enumerable.Range(0, Views).Select(i => $"admin-console/{i}").Order(StringComparer.Ordinal), all.Select(e => e.GetProperty("userAgent").GetString()).Order(StringComparer.Ordinal));

        // A since after all of them: nothing, and no cursor.
        var (none, noNext) = await PageAsync(A, "?type=admin.user_viewed&since=" + Since(DateTimeOffset.UtcNow.AddMinutes(1)));
        Assert.Empty(none);
        Assert.Null(noNext);
    }

    [Fact]
    public async Task TheTypeFilterGivesOnlyThatTypeAndTheUsersOwnEventsAreThere()
    {
        var since = DateTimeOffset.UtcNow;
        var member = await Members.SignUpAsync(A, "events-types");
        Assert.Equal(HttpStatusCode.OK, (await new SessionClient(B.Client).LoginAsync(member.Email, AdminHosts.Password)).StatusCode);
        await ResponseAssert.ProblemAsync(await new SessionClient(A.Client).LoginAsync(member.Email, "wrong-" + AdminHosts.Password), HttpStatusCode.Unauthorized);
        await hosts.SetDisabledAsync(B, member.UserId, disabled: true);
        await Members.AssertDisabledAsync(await new SessionClient(A.Client).LoginAsync(member.Email, AdminHosts.Password));

        foreach (var (type, detail) in new[] { ("signup", (string?)null), ("login.succeeded", "password"), ("account.disabled", null) })
        {
            var events = (await AllAsync($"?type={type}&since={Since(since)}")).Where(e => e.GetProperty("userId").GetString() == member.UserId).ToList();
            var e = Assert.Single(events);
            Assert.Equal(type, e.GetProperty("type").GetString());
            Assert.Equal("success", e.GetProperty("outcome").GetString());
            Assert.Equal(detail, e.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null);
        }

        // Failed logins are written off the response path: the wrong password, then the right one while disabled.
        List<JsonElement> failures = [];
        await ResponseAssert.EventuallyAsync(
            async () => (failures = [.. (await AllAsync($"?type=login.failed&since={Since(since)}")).Where(e => e.GetProperty("userId").GetString() == member.UserId)]).Count == 2,
            TimeSpan.FromSeconds(5));
        Assert.All(failures, e => Assert.Equal("failure", e.GetProperty("outcome").GetString()));
        Assert.Equal(["account_disabled", "password"], failures.Select(e => e.GetProperty("detail").GetString()).Order(StringComparer.Ordinal));
        Assert.All(await AllAsync($"?type=login.failed&since={Since(since)}"), e => Assert.Equal("login.failed", e.GetProperty("type").GetString()));
    }

    [Theory]
    [InlineData("?since=yesterday", "since")]
    [InlineData("?since=2026-13-45T00:00:00Z", "since")]
    [InlineData("?type=login", "type")]
    [InlineData("?type=LOGIN.SUCCEEDED", "type")]
    [InlineData("?cursor=abc", "cursor")]
    [InlineData("?cursor=0638000000000000000-ABCDEF012345", "cursor")]
    [InlineData("?cursor=9999999999999999999-abcdef012345", "cursor")]
    public async Task ABadParameterIs400NamingIt(string query, string field)
    {
        var problem = await ResponseAssert.ProblemAsync(await hosts.EventsAsync(A, query), HttpStatusCode.BadRequest);

        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }
}
