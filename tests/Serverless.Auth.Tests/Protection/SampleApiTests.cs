using System.Net;
using System.Text.Json;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Protection;

/// <summary>The sample protected API (samples/Serverless.Samples) on the standalone host, against Azurite.</summary>
public sealed class SampleApiTests(AzuriteFixture azurite)
{
    private const string Password = "plum-orchard-lantern-4821";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task MeAndMyNotesNeedTheSessionAndEndWithItOnEveryInstance()
    {
        var settings = azurite.Settings(s => s["Auth:Revocation:SyncIntervalMilliseconds"] = "200");
        await using var first = await TestApi.StartAsync(settings, cancellationToken: Ct);
        await using var second = await TestApi.StartAsync(settings, cancellationToken: Ct);
        var browser = new SessionClient(first.Client);
        var email = Emails.Unique("sample");
        var userId = await browser.SignUpForUserIdAsync(email, Password);
        var stranger = new SessionClient(first.Client);

        foreach (var (method, path) in new[] { (HttpMethod.Get, "/api/me"), (HttpMethod.Get, "/api/me/notes"), (HttpMethod.Post, "/api/me/notes") })
        {
            var refused = await stranger.SendAsync(method, path, method == HttpMethod.Post ? new { text = "x" } : null);
            await ResponseAssert.ProblemAsync(refused, HttpStatusCode.Unauthorized);
            Assert.Equal("Bearer", refused.Headers.WwwAuthenticate.ToString());
        }

        var me = await ResponseAssert.JsonAsync(await browser.SendAsync(HttpMethod.Get, "/api/me"), HttpStatusCode.OK);
        Assert.Equal(userId, me.GetProperty("userId").GetString());
        Assert.Equal(email, me.GetProperty("email").GetString());
        Assert.False(me.GetProperty("emailConfirmed").GetBoolean());

        // Logged out on one instance: the other refuses the same access token once it has synced (no storage read per request).
        var elsewhere = browser.CopyTo(second.Client);
        Assert.Equal(HttpStatusCode.OK, (await elsewhere.SendAsync(HttpMethod.Get, "/api/me")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await browser.LogoutAsync()).StatusCode);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        HttpResponseMessage after;
        do
        {
            await Task.Delay(100, Ct);
            after = await elsewhere.SendAsync(HttpMethod.Get, "/api/me");
        }
        while (after.StatusCode == HttpStatusCode.OK && DateTime.UtcNow < deadline);

        await ResponseAssert.ProblemAsync(after, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task NotesArePerUserAndAForeignOriginCannotAddOne()
    {
        await using var api = await TestApi.StartAsync(azurite.Settings(), cancellationToken: Ct);
        var ada = new SessionClient(api.Client);
        var bob = new SessionClient(api.Client);
        await ada.SignUpForUserIdAsync(Emails.Unique("ada-notes"), Password);
        await bob.SignUpForUserIdAsync(Emails.Unique("bob-notes"), Password);

        var created = await ResponseAssert.JsonAsync(await ada.SendAsync(HttpMethod.Post, "/api/me/notes", new { text = "  buy milk  " }, origin: TestApi.Frontend), HttpStatusCode.Created);
        Assert.Equal("buy milk", created.GetProperty("text").GetString());
        Assert.Equal(HttpStatusCode.Created, (await ada.SendAsync(HttpMethod.Post, "/api/me/notes", new { text = "call bob" })).StatusCode);

        var adas = await ResponseAssert.JsonAsync(await ada.SendAsync(HttpMethod.Get, "/api/me/notes"), HttpStatusCode.OK);
        Assert.Equal(["call bob", "buy milk"], adas.EnumerateArray().Select(n => n.GetProperty("text").GetString()).ToArray());
        var bobs = await ResponseAssert.JsonAsync(await bob.SendAsync(HttpMethod.Get, "/api/me/notes"), HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Array, bobs.ValueKind);
        Assert.Empty(bobs.EnumerateArray());

        var foreign = await ResponseAssert.ProblemAsync(await bob.SendAsync(HttpMethod.Post, "/api/me/notes", new { text = "csrf" }, origin: "https://evil.example"), HttpStatusCode.Forbidden);
        Assert.Equal("origin_not_allowed", foreign.GetProperty("code").GetString());
        var invalid = await ResponseAssert.ProblemAsync(await bob.SendAsync(HttpMethod.Post, "/api/me/notes", new { text = " " }), HttpStatusCode.BadRequest);
        Assert.True(invalid.GetProperty("errors").TryGetProperty("text", out _));
        Assert.Empty((await ResponseAssert.JsonAsync(await bob.SendAsync(HttpMethod.Get, "/api/me/notes"), HttpStatusCode.OK)).EnumerateArray());
    }
}
