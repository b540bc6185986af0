using System.Net;
using System.Text.Json;
using Serverless.Auth.Events;
using Serverless.Auth.Http;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;
using static Serverless.Auth.Tests.Events.EventTestClients;

namespace Serverless.Auth.Tests.Events;

/// <summary>
/// Issue 31: <c>GET /api/auth/activity</c>: the caller's own last 50 events within retention, newest first, as
/// <c>[{type, at, ipPrefix, userAgent, current}]</c>, <c>current</c> for the events of the calling session; no id or
/// address of anyone in the answer.
/// </summary>
public sealed class ActivityEndpointTests(SharedApi shared, AzuriteFixture azurite) : IClassFixture<SharedApi>
{
    private const string Password = "plum-orchard-lantern-4821";
    private static readonly string[] Fields = ["type", "at", "ipPrefix", "userAgent", "current"];

    private TestApi Api => shared.Api;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(JsonElement Body, string Text)> ActivityAsync(SessionClient client)
    {
        var response = await client.SendAsync(HttpMethod.Get, AuthApi.Activity.Path);
        var body = await ResponseAssert.JsonAsync(response, HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Array, body.ValueKind);
        Assert.All(body.EnumerateArray(), e => Assert.Equal(Fields, e.EnumerateObject().Select(p => p.Name)));
        return (body, body.GetRawText());
    }

    private static List<(string Type, DateTimeOffset At, string? IpPrefix, string? UserAgent, bool Current)> Items(JsonElement body) =>
        [.. body.EnumerateArray().Select(e => (
            e.GetProperty("type").GetString()!,
            e.GetProperty("at").GetDateTimeOffset(),
            e.GetProperty("ipPrefix").GetString(),
            e.GetProperty("userAgent").GetString(),
            e.GetProperty("current").GetBoolean()))];

    [Fact]
    public async Task WithoutASessionTheAnswerIs401()
    {
        await ResponseAssert.ProblemAsync(await new SessionClient(Api.Client).SendAsync(HttpMethod.Get, AuthApi.Activity.Path), HttpStatusCode.Unauthorized);

        var signedOut = new SessionClient(Api.Client);
        await signedOut.SignUpForUserIdAsync(Emails.Unique("ev-activity-out"), Password);
        var stale = signedOut.CopyTo(Api.Client);
        Assert.Equal(HttpStatusCode.NoContent, (await signedOut.LogoutAsync()).StatusCode);
        await ResponseAssert.ProblemAsync(await stale.SendAsync(HttpMethod.Get, AuthApi.Activity.Path), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task EachUserSeesOnlyTheirOwnEventsNewestFirstWithTheCallingSessionsMarkedCurrent()
    {
        var tables = new EventTables(azurite, Api);
        var (anaEmail, benEmail) = (Emails.Unique("ev-ana"), Emails.Unique("ev-ben"));
        var ana = new SessionClient(Api.Client);
        var ben = new SessionClient(Api.Client);

        // Interleaved: the two accounts act in turns.
        var anaId = await ana.SignUpForUserIdAsync(anaEmail, Password);
        var benId = await ben.SignUpForUserIdAsync(benEmail, Password);
        var anaLaptop = new SessionClient(Api.Client);
        Assert.Equal(HttpStatusCode.OK, (await anaLaptop.LoginAsync(anaEmail, Password, userAgent: "AnaLaptop/2.0")).StatusCode);
        var benPhone = new SessionClient(Api.Client);
        Assert.Equal(HttpStatusCode.OK, (await benPhone.LoginAsync(benEmail, Password, userAgent: "BenPhone/1.0")).StatusCode);
        var anaLaptopSession = SessionOf(anaLaptop);
        Assert.Equal(HttpStatusCode.NoContent, (await ana.RevokeSessionAsync(anaLaptopSession)).StatusCode);
        await ResponseAssert.ProblemAsync(await new SessionClient(Api.Client).LoginAsync(benEmail, "wrong-" + Password), HttpStatusCode.Unauthorized);
        await tables.UserRowsOnceAsync(benId, "login.failed");
        var anaPhone = new SessionClient(Api.Client);
        Assert.Equal(HttpStatusCode.OK, (await anaPhone.LoginAsync(anaEmail, Password, userAgent: "AnaPhone/3.1")).StatusCode);

        // Current: the events of the calling session (the revocation is about the laptop's session, which it ended).
        var (anaBody, anaText) = await ActivityAsync(ana);
        var anaItems = Items(anaBody);
        Assert.Equal(
            [
                ("login.succeeded", "AnaPhone/3.1", false),
                ("session.revoked", null, false),
                ("login.succeeded", "AnaLaptop/2.0", false),
                ("signup", null, true),
            ],
            anaItems.Select(i => (i.Type, i.UserAgent, i.Current)));
        Assert.All(anaItems, i => Assert.Equal("127.0.0.0/24", i.IpPrefix));
        Assert.Equal(
            (await tables.UserRowsAsync(anaId)).Select(r => (r.Type, r.At, r.IpPrefix, r.UserAgent)),
            anaItems.Select(i => (i.Type, i.At, i.IpPrefix, i.UserAgent)));
        Assert.Equal(anaItems.Select(i => i.At).OrderDescending(), anaItems.Select(i => i.At));

        var phoneItems = Items((await ActivityAsync(anaPhone)).Body);
        Assert.Equal([true, false, false, false], phoneItems.Select(i => i.Current));

        var (benBody, benText) = await ActivityAsync(benPhone);
        Assert.Equal(
            [("login.failed", null, false), ("login.succeeded", "BenPhone/1.0", true), ("signup", null, false)],
            Items(benBody).Select(i => (i.Type, i.UserAgent, i.Current)));

        foreach (var text in new[] { anaText, benText })
        {
            foreach (var secret in new[] { anaId, benId, anaEmail, benEmail, SessionOf(ana), SessionOf(benPhone), anaLaptopSession })
            {
                Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase);
            }
        }
    }

    [Fact]
    public async Task AtMostTheFiftyNewestAreShownAcrossMonthTables()
    {
        var browser = new SessionClient(Api.Client);
        var userId = await browser.SignUpForUserIdAsync(Emails.Unique("ev-activity-many"), Password);
        var now = DateTimeOffset.UtcNow;
        var log = Api.Service<EventLog>();
        // Sixty earlier events, 18 hours apart: the fifty newest reach back more than a month (two month tables at least).
        var seeded = Enumerable.Range(1, 60)
            .Select(i => new AuthEvent(i % 2 == 0 ? AuthEventKind.SignedIn : AuthEventKind.SignedOut, userId, "seeded-" + i, now.AddHours(-18 * i), "198.51.100.7"))
            .ToList();
        await Task.WhenAll(seeded.Select(e => log.WriteAsync(e, Ct)));

        var items = Items((await ActivityAsync(browser)).Body);

        Assert.Equal(ActivityEndpoint.MaxEvents, items.Count);
        Assert.Equal(("signup", true), (items[0].Type, items[0].Current));
        Assert.Equal(
            seeded.Take(ActivityEndpoint.MaxEvents - 1).Select(e => (e.Type, e.OccurredAt, (string?)"198.51.100.0/24", false)),
            items.Skip(1).Select(i => (i.Type, i.At, i.IpPrefix, i.Current)));
        Assert.NotEqual(items[^1].At.Month, items[0].At.Month);
    }
}
