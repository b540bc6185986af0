using System.Net;
using Serverless.Auth.Http;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Oidc;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;
using static Serverless.Auth.Tests.Events.EventTestClients;
using static Serverless.Auth.Tests.Oidc.OidcTestFlow;

namespace Serverless.Auth.Tests.Events;

/// <summary>
/// Issue 31 for social sign-in: a provider's first sign-in (the account's creation, then its session), a link and an
/// unlink, each stored with the provider's name, against the real OpenID Provider of the social sign-in tests.
/// </summary>
public sealed class OidcEventTests(AzuriteFixture azurite, OidcSignInTests.ProviderFixture fixture) : IClassFixture<OidcSignInTests.ProviderFixture>, IAsyncLifetime
{
    private const string Password = "lantern-orchid-pebble-4471";
    private TestApi api = null!;
    private EventTables tables = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private OidcProviderProcess Idp => fixture.Provider;

    public async ValueTask InitializeAsync()
    {
        api = await azurite.StartApiAsync(s =>
        {
            s["Auth:Oidc:Providers:test:Authority"] = Idp.Authority;
            s["Auth:Oidc:Providers:test:ClientId"] = Idp.ClientId;
            s["Auth:Oidc:Providers:test:ClientSecret"] = Idp.ClientSecret;
            s["Auth:Oidc:Providers:test:TrustEmail"] = "true";
        });
        tables = new EventTables(azurite, api);
    }

    public ValueTask DisposeAsync() => api.DisposeAsync();

    private static string NewLogin(string name) => $"{name}-{Guid.NewGuid().ToString("N")[..10]}";

    [Fact]
    public async Task AFirstProviderSignInIsASignupWithoutASessionAndThenASignInNamingTheProvider()
    {
        var browser = new SessionClient(api.Client);
        var (verifier, challenge) = NewVerifier();
        var back = await CallbackAsync(browser, await Idp.SignInAsync(await StartAsync(browser, "test", challenge), NewLogin("ev-oidc"), Ct));
        var userId = (await SignedInAsync(await ExchangeAsync(browser, back["code"], verifier))).GetProperty("userId").GetString()!;

        var rows = await tables.UserRowsAsync(userId);
        Assert.Equal(
            [("login.succeeded", SessionOf(browser), "oidc:test", "success"), ("signup", null, null, "success")],
            rows.Select(r => (r.Type, r.SessionId, r.Detail, r.Outcome)));
        Assert.All(rows, r => Assert.Equal("127.0.0.0/24", r.IpPrefix));
        await tables.AssertFleetMirrorsAsync(rows, userId);
    }

    [Fact]
    public async Task ALinkAndAnUnlinkAreStoredWithTheProviderAndTheOwnersSession()
    {
        var owner = new SessionClient(api.Client);
        var userId = await owner.SignUpForUserIdAsync(Emails.Unique("ev-oidc-link"), Password);
        var (verifier, challenge) = NewVerifier();
        var link = await ResponseAssert.JsonAsync(
            await owner.SendAsync(HttpMethod.Post, "/api/auth/oidc/test/link", new { returnTo = ReturnTo, codeChallenge = challenge, password = Password }, origin: TestApi.Frontend),
            HttpStatusCode.OK);
        var navigation = new SessionClient(api.Client);
        var start = await navigation.SendAsync(HttpMethod.Get, new Uri(link.GetProperty("url").GetString()!).PathAndQuery);
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        var linked = await FinishLinkAsync(owner, navigation, await Idp.SignInAsync(start.Headers.Location!, NewLogin("ev-linked"), Ct), verifier);
        Assert.Equal("test", linked["linked"]);
        Assert.Equal(
            HttpStatusCode.NoContent,
            (await owner.SendAsync(HttpMethod.Post, AuthApi.IdentityUnlink.Path, new { provider = "test" }, origin: TestApi.Frontend)).StatusCode);

        var rows = await tables.UserRowsAsync(userId);
        Assert.Equal(
            [("oidc.unlinked", SessionOf(owner), "test"), ("oidc.linked", SessionOf(owner), "test"), ("signup", SessionOf(owner), null)],
            rows.Select(r => (r.Type, r.SessionId, r.Detail)));
        await tables.AssertFleetMirrorsAsync(rows, userId);
    }
}
