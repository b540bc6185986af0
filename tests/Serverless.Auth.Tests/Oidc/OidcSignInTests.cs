using System.Net;
using System.Text.Json;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;
using Serverless.Auth.Accounts;
using Serverless.Auth.Email;
using Serverless.Auth.Http;
using Serverless.Auth.Tests.Email;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;
using static Serverless.Auth.Tests.Oidc.OidcTestFlow;

namespace Serverless.Auth.Tests.Oidc;

/// <summary>
/// Social sign-in (issue 30) against a real, certified OpenID Provider (oidc-provider on loopback, its login pages driven
/// over HTTP), on two instances sharing Azurite tables: the frontend's part of the flow as plain requests.
/// </summary>
public sealed partial class OidcSignInTests(AzuriteFixture azurite, OidcSignInTests.ProviderFixture fixture) : IClassFixture<OidcSignInTests.ProviderFixture>, IAsyncLifetime
{
    private const string Password = "lantern-orchid-pebble-4471";
    private const string Provider = "test";
    private readonly CapturingMailSender mail = new();
    private Dictionary<string, string?> settings = null!;
    private TestApi api = null!;
    private TestApi other = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private OidcProviderProcess Idp => fixture.Provider;

    public async ValueTask InitializeAsync()
    {
        settings = azurite.Settings(s =>
        {
            s["Auth:Oidc:Providers:test:Authority"] = Idp.Authority;
            s["Auth:Oidc:Providers:test:ClientId"] = Idp.ClientId;
            s["Auth:Oidc:Providers:test:ClientSecret"] = Idp.ClientSecret;
            s["Auth:Oidc:Providers:test:DisplayName"] = "Test provider";
            s["Auth:Oidc:Providers:test:TrustEmail"] = "true";
            s["Auth:Mfa:StepUpSeconds"] = "300";
            s["Auth:Email:MailCooldownSeconds"] = "0";
            s["AzureFunctionsJobHost:extensions:queues:maxPollingInterval"] = "00:00:00.2";
        });
        void Configure(Microsoft.AspNetCore.Builder.WebApplicationBuilder builder) => builder.Services.AddSingleton<IAuthMailSender>(mail);
        api = await TestApi.StartAsync(settings, Configure, cancellationToken: Ct);
        other = await TestApi.StartAsync(settings, Configure, cancellationToken: Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await api.DisposeAsync();
        await other.DisposeAsync();
    }

    private TableClient Users => new(azurite.ConnectionString, settings["Auth:Storage:UsersTable"]!);

    private static string NewLogin(string name) => $"{name}-{Guid.NewGuid().ToString("N")[..10]}";

    /// <summary>The whole round trip for <paramref name="login"/> in a fresh browser: the return URL's query, and the browser and verifier.</summary>
    private async Task<(Dictionary<string, string> Return, SessionClient Browser, string Verifier)> RoundTripAsync(string login, SessionClient? browser = null, TestApi? on = null)
    {
        browser ??= new SessionClient((on ?? api).Client);
        var (verifier, challenge) = NewVerifier();
        var authorize = await StartAsync(browser, Provider, challenge);
        var callback = await Idp.SignInAsync(authorize, login, Ct);
        return (await CallbackAsync(browser, callback), browser, verifier);
    }

    private async Task<(JsonElement Session, SessionClient Browser)> SignInAsync(string login, TestApi? on = null)
    {
        var (back, browser, verifier) = await RoundTripAsync(login, on: on);
        Assert.True(back.ContainsKey("code"), $"no code: {string.Join(", ", back)}");
        return (await SignedInAsync(await ExchangeAsync(browser, back["code"], verifier)), browser);
    }

    [Fact]
    public async Task TheProvidersAreListedForTheFrontendsButtons()
    {
        var providers = await ResponseAssert.JsonAsync(await api.Client.GetAsync(AuthApi.OidcProviders.Path, Ct), HttpStatusCode.OK);
        var only = Assert.Single(providers.EnumerateArray());
        Assert.Equal("test", only.GetProperty("name").GetString());
        Assert.Equal("Test provider", only.GetProperty("displayName").GetString());
    }

    [Fact]
    public async Task TheStartSendsTheCodeFlowWithStateNoncePkceAndAStateCookieForTheCallbackOnly()
    {
        var browser = new SessionClient(api.Client);
        var (_, challenge) = NewVerifier();
        var start = await browser.SendAsync(HttpMethod.Get, StartPath(Provider, challenge));

        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        var authorize = start.Headers.Location!;
        Assert.StartsWith(Idp.Authority + "/auth?", authorize.ToString(), StringComparison.Ordinal);
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(authorize.Query);
        Assert.Equal("code", query["response_type"].ToString());
        Assert.Equal(Idp.ClientId, query["client_id"].ToString());
        Assert.Equal(api.BaseUrl + "/api/auth/oidc/test/callback", query["redirect_uri"].ToString());
        Assert.Equal("openid email profile", query["scope"].ToString());
        Assert.Equal("S256", query["code_challenge_method"].ToString());
        Assert.Equal(43, query["code_challenge"].ToString().Length);
        Assert.NotEqual(challenge, query["code_challenge"].ToString());
        Assert.True(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(query["state"].ToString()).Length >= 16);
        Assert.True(query["nonce"].ToString().Length >= 22);

        var cookie = SessionClient.Cookie(start, "auth-oidc");
        Assert.True(cookie.HttpOnly);
        Assert.Equal(Microsoft.Net.Http.Headers.SameSiteMode.Lax, cookie.SameSite);
        Assert.Equal("/api/auth/oidc/test/callback", cookie.Path.ToString());
        // Encrypted: neither the state nor the nonce can be read from it.
        Assert.DoesNotContain(query["state"].ToString(), cookie.Value.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(query["nonce"].ToString(), cookie.Value.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://evil.example/return")]
    [InlineData("http://localhost:5174/return")]
    [InlineData("//evil.example/return")]
    [InlineData("/relative")]
    [InlineData("http://localhost:5173@evil.example/")]
    [InlineData("http://localhost:5173/return#fragment")]
    [InlineData("javascript:alert(1)")]
    public async Task TheStartRefusesAReturnUrlOutsideTheAllowedOrigins(string returnTo)
    {
        var (_, challenge) = NewVerifier();
        var refused = await new SessionClient(api.Client).SendAsync(HttpMethod.Get, StartPath(Provider, challenge, returnTo));

        var problem = await ResponseAssert.ProblemAsync(refused, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("returnTo", out _));
        Assert.Null(refused.Headers.Location);
    }

    [Fact]
    public async Task TheStartRefusesAMissingChallengeAndAnUnknownProvider()
    {
        var noChallenge = await api.Client.GetAsync($"/api/auth/oidc/test/start?returnTo={Uri.EscapeDataString(ReturnTo)}", Ct);
        Assert.True((await ResponseAssert.ProblemAsync(noChallenge, HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("codeChallenge", out _));

        var (_, challenge) = NewVerifier();
        await ResponseAssert.ProblemAsync(await api.Client.GetAsync(StartPath("nope", challenge), Ct), HttpStatusCode.NotFound);
        await ResponseAssert.ProblemAsync(await api.Client.GetAsync("/api/auth/oidc/nope/callback?code=x&state=y", Ct), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task AFirstSignInCreatesAConfirmedAccountWithoutAPasswordAndTheNextSignsIntoTheSameOneOnTheOtherInstance()
    {
        var login = NewLogin("first");
        var email = login + "@example.test";

        var (first, browser) = await SignInAsync(login);
        Assert.Equal(["fed"], first.GetProperty("amr").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(email, first.GetProperty("email").GetString());
        Assert.True(first.GetProperty("emailConfirmed").GetBoolean());
        var userId = first.GetProperty("userId").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await browser.VerifyAsync()).StatusCode);

        // Stored: an account without a password, its link row, and the identity it is found by.
        var account = await Users.GetEntityAsync<TableEntity>(userId, "user", cancellationToken: Ct);
        Assert.Equal("", account.Value.GetString("PasswordHash"));
        Assert.Equal(1, account.Value.GetInt32("OidcCount"));
        var link = await Users.GetEntityAsync<TableEntity>(userId, "oidc-test", cancellationToken: Ct);
        Assert.Equal(login, link.Value.GetString("Subject"));
        Assert.NotNull(link.Value.GetDateTimeOffset("LastUsedAt"));
        Assert.Single(Users.Query<TableEntity>(e => e.RowKey == "oidc" && e.GetString("AccountId") == userId, cancellationToken: Ct));
        Assert.Equal(userId, (await api.Service<UserRepository>().FindByEmailAsync(email, Ct))!.UserId);

        // The identity's listing; a password login for the address is refused like a wrong password.
        var identities = await ResponseAssert.JsonAsync(await browser.SendAsync(HttpMethod.Get, AuthApi.Identities.Path), HttpStatusCode.OK);
        var listed = Assert.Single(identities.EnumerateArray());
        Assert.Equal("test", listed.GetProperty("provider").GetString());
        Assert.Equal(email, listed.GetProperty("email").GetString());
        await ResponseAssert.ProblemAsync(await new SessionClient(api.Client).LoginAsync(email, Password), HttpStatusCode.Unauthorized);

        Assert.Equal(HttpStatusCode.NoContent, (await browser.LogoutAsync()).StatusCode);
        var (again, _) = await SignInAsync(login, on: other);
        Assert.Equal(userId, again.GetProperty("userId").GetString());
        Assert.Single(Users.Query<TableEntity>(e => e.RowKey == "user" && e.GetString("Email") == email, cancellationToken: Ct));
    }

    [Fact]
    public async Task AVerifiedAddressOfAnExistingAccountIsNeverLinkedAutomatically()
    {
        var login = NewLogin("taken");
        var email = login + "@example.test";
        var owner = new SessionClient(api.Client);
        var ownerId = await owner.SignUpForUserIdAsync(email, Password);

        var (back, _, _) = await RoundTripAsync(login);

        Assert.Equal("account_exists", back["error"]);
        Assert.False(back.ContainsKey("code"));
        Assert.Empty(Users.Query<TableEntity>(e => e.PartitionKey == ownerId && e.RowKey == "oidc-test", cancellationToken: Ct));
        Assert.Empty(Users.Query<TableEntity>(e => e.RowKey == "user" && e.GetString("Email") == email && e.PartitionKey != ownerId, cancellationToken: Ct));
    }

    [Fact]
    public async Task AnUnverifiedAddressOfAnExistingAccountMakesASeparateAccountThatDoesNotClaimItAndRevealsNothing()
    {
        // The provider says email_verified false for logins starting with "unverified"; the address is the login itself.
        var email = NewLogin("unverified-victim") + "@example.com";
        var victim = new SessionClient(api.Client);
        var victimId = await victim.SignUpForUserIdAsync(email, Password);

        var (session, _) = await SignInAsync(email);

        var attackerId = session.GetProperty("userId").GetString();
        Assert.NotEqual(victimId, attackerId);
        Assert.False(session.GetProperty("emailConfirmed").GetBoolean());
        // The address still finds the victim only, whose password still works.
        Assert.Equal(victimId, (await api.Service<UserRepository>().FindByEmailAsync(email, Ct))!.UserId);
        Assert.Equal(HttpStatusCode.OK, (await new SessionClient(api.Client).LoginAsync(email, Password)).StatusCode);
        var stored = await Users.GetEntityAsync<TableEntity>(attackerId, "user", cancellationToken: Ct);
        Assert.True(stored.Value.GetBoolean("EmailUnclaimed"));
    }

    [Fact]
    public async Task AnUnverifiedFreeAddressIsConfirmedByOurOwnMailAndThenClaimed()
    {
        var email = NewLogin("unverified-fresh") + "@example.com";
        var (session, browser) = await SignInAsync(email);
        var userId = session.GetProperty("userId").GetString()!;
        Assert.Null(await api.Service<UserRepository>().FindByEmailAsync(email, Ct));

        var confirmation = await mail.NextToAsync(email);
        var confirmed = await browser.ConfirmEmailAsync(Email.MailLinks.Token(confirmation, "confirm"));

        Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
        var found = await api.Service<UserRepository>().FindByEmailAsync(email, Ct);
        Assert.Equal(userId, found!.UserId);
        Assert.True(found.EmailConfirmed);
        Assert.True(found.EmailClaimed);
    }

    [Fact]
    public async Task AnUnverifiedAddressTakenBeforeItsConfirmationAnswersEmailTakenAndChangesNothing()
    {
        var email = NewLogin("unverified-late") + "@example.com";
        var (session, browser) = await SignInAsync(email);
        var confirmation = await mail.NextToAsync(email);
        var ownerId = await new SessionClient(api.Client).SignUpForUserIdAsync(email, Password);

        var refused = await browser.ConfirmEmailAsync(Email.MailLinks.Token(confirmation, "confirm"));

        Assert.Equal("email_taken", (await ResponseAssert.ProblemAsync(refused, HttpStatusCode.Conflict)).GetProperty("code").GetString());
        Assert.Equal(ownerId, (await api.Service<UserRepository>().FindByEmailAsync(email, Ct))!.UserId);
        var stored = await Users.GetEntityAsync<TableEntity>(session.GetProperty("userId").GetString(), "user", cancellationToken: Ct);
        Assert.False(stored.Value.GetBoolean("EmailConfirmed"));
        Assert.Equal(HttpStatusCode.OK, (await browser.VerifyAsync()).StatusCode);
    }

    [Fact]
    public async Task TheOneTimeCodeExchangesOnceOnlyWithItsVerifierAndTheCallbackCannotBeReplayed()
    {
        var login = NewLogin("once");
        var browser = new SessionClient(api.Client);
        var (verifier, challenge) = NewVerifier();
        var authorize = await StartAsync(browser, Provider, challenge);
        var callback = await Idp.SignInAsync(authorize, login, Ct);
        var stateCookie = browser.Cookies["auth-oidc"];
        var back = await CallbackAsync(browser, callback);

        // The callback again: its cookie is gone, and the same cookie planted back finds the provider's code spent.
        Assert.Equal("state_missing", (await ResponseAssert.ProblemAsync(await browser.SendAsync(HttpMethod.Get, callback.PathAndQuery), HttpStatusCode.BadRequest)).GetProperty("code").GetString());
        browser.Set("auth-oidc", stateCookie);
        Assert.Equal("provider_error", (await CallbackAsync(browser, callback))["error"]);

        var wrong = await ExchangeAsync(browser, back["code"], NewVerifier().Verifier);
        Assert.True((await ResponseAssert.ProblemAsync(wrong, HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("code", out _));
        Assert.DoesNotContain(SessionClient.SetCookies(wrong), c => c.Name == "auth");
        // Spent by the wrong try: the right verifier comes too late.
        await ResponseAssert.ProblemAsync(await ExchangeAsync(browser, back["code"], verifier), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task OneCodeExchangedFourTimesAtOnceOnTwoInstancesStartsOneSession()
    {
        var (back, browser, verifier) = await RoundTripAsync(NewLogin("race"));
        var browsers = new[] { browser, new SessionClient(other.Client), new SessionClient(api.Client), new SessionClient(other.Client) };

        var answers = await Task.WhenAll(browsers.Select(b => ExchangeAsync(b, back["code"], verifier)));

        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.OK);
        Assert.Equal(3, answers.Count(a => a.StatusCode == HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task ASignedInUserLinksTheProviderAndThenSignsInWithItToTheSameAccount()
    {
        var email = Emails.Unique("linker");
        var owner = new SessionClient(api.Client);
        var ownerId = await owner.SignUpForUserIdAsync(email, Password);
        var login = NewLogin("linked");

        // Without the password (the session is a password one, not recent), refused; with it, a start URL.
        var (verifier, challenge) = NewVerifier();
        await ResponseAssert.ProblemAsync(
            await owner.SendAsync(HttpMethod.Post, "/api/auth/oidc/test/link", new { returnTo = ReturnTo, codeChallenge = challenge }, origin: TestApi.Frontend), HttpStatusCode.BadRequest);
        var link = await ResponseAssert.JsonAsync(
            await owner.SendAsync(HttpMethod.Post, "/api/auth/oidc/test/link", new { returnTo = ReturnTo, codeChallenge = challenge, password = Password }, origin: TestApi.Frontend), HttpStatusCode.OK);
        var startUrl = new Uri(link.GetProperty("url").GetString()!);
        Assert.Equal(api.BaseUrl + "/api/auth/oidc/test/start", startUrl.GetLeftPart(UriPartial.Path));

        // The navigation (another browser context: the API's own partition, no session cookie needed).
        var navigation = new SessionClient(api.Client);
        var start = await navigation.SendAsync(HttpMethod.Get, startUrl.PathAndQuery);
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        var callback = await Idp.SignInAsync(start.Headers.Location!, login, Ct);

        // The link code is nothing without the owner's session and the page's verifier: another browser's exchange, or the
        // owner's with another verifier, spends it and links nothing.
        var elsewhere = await CallbackAsync(navigation, callback);
        await ResponseAssert.ProblemAsync(await ExchangeAsync(new SessionClient(api.Client), elsewhere["code"], verifier), HttpStatusCode.BadRequest);
        await ResponseAssert.ProblemAsync(await ExchangeAsync(owner, elsewhere["code"], verifier), HttpStatusCode.BadRequest);
        Assert.Empty(Users.Query<TableEntity>(e => e.PartitionKey == ownerId && e.RowKey == "oidc-test", cancellationToken: Ct));

        var again = await ResponseAssert.JsonAsync(
            await owner.SendAsync(HttpMethod.Post, "/api/auth/oidc/test/link", new { returnTo = ReturnTo, codeChallenge = challenge, password = Password }, origin: TestApi.Frontend), HttpStatusCode.OK);
        var second = new SessionClient(api.Client);
        var restart = await second.SendAsync(HttpMethod.Get, new Uri(again.GetProperty("url").GetString()!).PathAndQuery);
        var back = await FinishLinkAsync(owner, second, await Idp.SignInAsync(restart.Headers.Location!, login, Ct), verifier);
        Assert.Equal("test", back["linked"]);

        // The ticket was single use.
        var replay = await new SessionClient(api.Client).SendAsync(HttpMethod.Get, startUrl.PathAndQuery);
        Assert.EndsWith("error=link_expired", replay.Headers.Location!.ToString(), StringComparison.Ordinal);

        var listed = Assert.Single((await ResponseAssert.JsonAsync(await owner.SendAsync(HttpMethod.Get, AuthApi.Identities.Path), HttpStatusCode.OK)).EnumerateArray());
        Assert.Equal(login + "@example.test", listed.GetProperty("email").GetString());
        var (session, _) = await SignInAsync(login, on: other);
        Assert.Equal(ownerId, session.GetProperty("userId").GetString());
        Assert.Equal(email, session.GetProperty("email").GetString());

        // Unlinking: the password remains, so it may go; its identity no longer signs anyone in.
        Assert.Equal(HttpStatusCode.NoContent, (await owner.SendAsync(HttpMethod.Post, AuthApi.IdentityUnlink.Path, new { provider = "test" }, origin: TestApi.Frontend)).StatusCode);
        Assert.Empty(Users.Query<TableEntity>(e => e.PartitionKey == ownerId && e.RowKey == "oidc-test", cancellationToken: Ct));
        var (fresh, _) = await SignInAsync(login);
        Assert.NotEqual(ownerId, fresh.GetProperty("userId").GetString());
    }

    /// <summary>
    /// The callback goes by the identity's row; the exchange signs in only an account that still holds the link. Unlinked
    /// in between, the code signs the owner in nowhere: the identity is resolved again, and its vouched address is the
    /// owner's, so the exchange answers what the callback would now (account_exists), with no session.
    /// </summary>
    [Fact]
    public async Task AnIdentityUnlinkedBetweenTheCallbackAndTheExchangeSignsItsFormerAccountInNowhere()
    {
        var login = NewLogin("unlinked-midway");
        var email = login + "@example.test";
        var owner = new SessionClient(api.Client);
        var ownerId = await owner.SignUpForUserIdAsync(email, Password);
        var (linkVerifier, linkChallenge) = NewVerifier();
        var link = await ResponseAssert.JsonAsync(
            await owner.SendAsync(HttpMethod.Post, "/api/auth/oidc/test/link", new { returnTo = ReturnTo, codeChallenge = linkChallenge, password = Password }, origin: TestApi.Frontend), HttpStatusCode.OK);
        var navigation = new SessionClient(api.Client);
        var start = await navigation.SendAsync(HttpMethod.Get, new Uri(link.GetProperty("url").GetString()!).PathAndQuery);
        Assert.Equal("test", (await FinishLinkAsync(owner, navigation, await Idp.SignInAsync(start.Headers.Location!, login, Ct), linkVerifier))["linked"]);

        var (back, browser, verifier) = await RoundTripAsync(login);
        Assert.True(back.ContainsKey("code"), $"no code: {string.Join(", ", back)}");
        Assert.Equal(HttpStatusCode.NoContent, (await owner.SendAsync(HttpMethod.Post, AuthApi.IdentityUnlink.Path, new { provider = "test" }, origin: TestApi.Frontend)).StatusCode);

        var exchange = await ExchangeAsync(browser.CopyTo(other.Client), back["code"], verifier);

        Assert.Equal("account_exists", (await ResponseAssert.ProblemAsync(exchange, HttpStatusCode.Conflict)).GetProperty("code").GetString());
        Assert.DoesNotContain(SessionClient.SetCookies(exchange), c => c.Name == "auth" || c.Name == "refresh");
        Assert.Empty(Users.Query<TableEntity>(e => e.PartitionKey == ownerId && e.RowKey == "oidc-test", cancellationToken: Ct));
        Assert.Equal(ownerId, (await api.Service<UserRepository>().FindByEmailAsync(email, Ct))!.UserId);
        await ResponseAssert.ProblemAsync(await browser.VerifyAsync(), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ALinkAskedForBeforeAPasswordChangeIsVoidedByIt()
    {
        var email = Emails.Unique("link-then-change");
        var owner = new SessionClient(api.Client);
        var ownerId = await owner.SignUpForUserIdAsync(email, Password);
        var (verifier, challenge) = NewVerifier();
        var link = await ResponseAssert.JsonAsync(
            await owner.SendAsync(HttpMethod.Post, "/api/auth/oidc/test/link", new { returnTo = ReturnTo, codeChallenge = challenge, password = Password }, origin: TestApi.Frontend), HttpStatusCode.OK);
        var navigation = new SessionClient(api.Client);
        var start = await navigation.SendAsync(HttpMethod.Get, new Uri(link.GetProperty("url").GetString()!).PathAndQuery);
        var callback = await Idp.SignInAsync(start.Headers.Location!, NewLogin("late-link"), Ct);

        // Someone who had the password (and the session) asked for the link; the owner changes the password meanwhile
        // (this browser keeps its session: the change gives it a fresh one).
        Assert.Equal(HttpStatusCode.OK, (await owner.ChangePasswordAsync(Password, "second-" + Password)).StatusCode);
        var back = await FinishLinkAsync(owner, navigation, callback, verifier);

        Assert.Equal("link_expired", back["error"]);
        Assert.Empty(Users.Query<TableEntity>(e => e.PartitionKey == ownerId && e.RowKey == "oidc-test", cancellationToken: Ct));
    }

    [Fact]
    public async Task AnIdentityOfAnotherAccountIsNotLinkedAndTheLastWayInCannotBeUnlinked()
    {
        var login = NewLogin("owned");
        var (providerOnly, providerBrowser) = await SignInAsync(login);
        var someone = new SessionClient(api.Client);
        var someoneId = await someone.SignUpForUserIdAsync(Emails.Unique("someone"), Password);

        var (verifier, challenge) = NewVerifier();
        var link = await ResponseAssert.JsonAsync(
            await someone.SendAsync(HttpMethod.Post, "/api/auth/oidc/test/link", new { returnTo = ReturnTo, codeChallenge = challenge, password = Password }, origin: TestApi.Frontend), HttpStatusCode.OK);
        var navigation = new SessionClient(api.Client);
        var start = await navigation.SendAsync(HttpMethod.Get, new Uri(link.GetProperty("url").GetString()!).PathAndQuery);
        var back = await FinishLinkAsync(someone, navigation, await Idp.SignInAsync(start.Headers.Location!, login, Ct), verifier);

        Assert.Equal("identity_in_use", back["error"]);
        Assert.Empty(Users.Query<TableEntity>(e => e.PartitionKey == someoneId && e.RowKey == "oidc-test", cancellationToken: Ct));

        // The provider-only account: its one provider is its only way in.
        var unlink = await providerBrowser.SendAsync(HttpMethod.Post, AuthApi.IdentityUnlink.Path, new { provider = "test" }, origin: TestApi.Frontend);
        await ResponseAssert.ProblemAsync(unlink, HttpStatusCode.Conflict);
        Assert.Single(Users.Query<TableEntity>(e => e.PartitionKey == providerOnly.GetProperty("userId").GetString() && e.RowKey == "oidc-test", cancellationToken: Ct));
    }

    [Fact]
    public async Task AnAccountWithoutAPasswordMakesSensitiveChangesRightAfterAProviderSignInAndDeletesItselfCompletely()
    {
        var login = NewLogin("passwordless");
        var (session, browser) = await SignInAsync(login);
        var userId = session.GetProperty("userId").GetString()!;

        // Re-authentication is the provider sign-in just made: no password to give.
        var setup = await browser.SendAsync(HttpMethod.Post, AuthApi.MfaTotpSetup.Path, new { });
        Assert.Equal(HttpStatusCode.OK, setup.StatusCode);
        var deleted = await browser.SendAsync(HttpMethod.Post, AuthApi.DeleteAccount.Path, new { }, origin: TestApi.Frontend);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);

        Assert.True((await Users.GetEntityAsync<TableEntity>(userId, "user", cancellationToken: Ct)).Value.GetBoolean("Deleted"));
        Assert.Empty(Users.Query<TableEntity>(e => e.PartitionKey == userId && e.RowKey == "oidc-test", cancellationToken: Ct));
        Assert.Empty(Users.Query<TableEntity>(e => e.RowKey == "oidc" && e.GetString("AccountId") == userId, cancellationToken: Ct));
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.VerifyAsync()).StatusCode);

        // The identity is free again: the next sign-in makes a new account with the address.
        var (again, _) = await SignInAsync(login, on: other);
        Assert.NotEqual(userId, again.GetProperty("userId").GetString());

        // An account with a password still has to give it.
        var owner = new SessionClient(api.Client);
        await owner.SignUpForUserIdAsync(Emails.Unique("has-password"), Password);
        var refused = await owner.SendAsync(HttpMethod.Post, AuthApi.DeleteAccount.Path, new { }, origin: TestApi.Frontend);
        var problem = await ResponseAssert.ProblemAsync(refused, HttpStatusCode.BadRequest);
        Assert.Equal("Password is required.", problem.GetProperty("errors").GetProperty("password")[0].GetString());
    }

    [Fact]
    public async Task ThePasskeyAndTheProviderOfAnAccountWithoutAPasswordRemovedAtOnceOnTwoInstancesLeaveOneOfThem()
    {
        var (session, browser) = await SignInAsync(NewLogin("last-way"));
        var userId = session.GetProperty("userId").GetString()!;
        using var authenticator = new SoftwareAuthenticator(TestApi.Frontend, "localhost");

        // A passkey added right after the provider sign-in (the re-authentication it counts as): two ways in.
        var options = await ResponseAssert.JsonAsync(await browser.SendAsync(HttpMethod.Post, AuthApi.PasskeyRegisterOptions.Path, new { }), HttpStatusCode.OK);
        var added = await ResponseAssert.JsonAsync(
            await browser.SendAsync(HttpMethod.Post, AuthApi.PasskeyRegister.Path, new { credential = authenticator.Register(options) }), HttpStatusCode.OK);
        var onOther = browser.CopyTo(other.Client);

        var answers = await Task.WhenAll(
            browser.SendAsync(HttpMethod.Post, AuthApi.PasskeyDelete.Path, new { id = added.GetProperty("id").GetString() }, origin: TestApi.Frontend),
            onOther.SendAsync(HttpMethod.Post, AuthApi.IdentityUnlink.Path, new { provider = "test" }, origin: TestApi.Frontend));

        // The account row's ETag decides: exactly one removal lands, the other sees the last way in and is refused.
        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.NoContent);
        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Conflict);
        var account = (await Users.GetEntityAsync<TableEntity>(userId, "user", cancellationToken: Ct)).Value;
        var passkeys = Users.Query<TableEntity>(e => e.PartitionKey == userId && e.RowKey.CompareTo("passkey-") > 0 && e.RowKey.CompareTo("passkey.") < 0, cancellationToken: Ct).Count();
        var links = Users.Query<TableEntity>(e => e.PartitionKey == userId && e.RowKey == "oidc-test", cancellationToken: Ct).Count();
        Assert.Equal(1, passkeys + links);
        Assert.Equal(passkeys, account.GetInt32("PasskeyCount") ?? 0);
        Assert.Equal(links, account.GetInt32("OidcCount") ?? 0);
    }

    [Fact]
    public async Task WithTotpTheSecondStepFollowsTheProviderAndItsAmrSaysSo()
    {
        var email = Emails.Unique("totp-linked");
        var owner = new SessionClient(api.Client);
        await owner.SignUpForUserIdAsync(email, Password);
        var setup = await ResponseAssert.JsonAsync(await owner.SendAsync(HttpMethod.Post, AuthApi.MfaTotpSetup.Path, new { password = Password }), HttpStatusCode.OK);
        var secret = setup.GetProperty("secret").GetString()!;
        var enabled = await ResponseAssert.JsonAsync(
            await owner.SendAsync(HttpMethod.Post, AuthApi.MfaTotpEnable.Path, new { code = await Oathtool.CodeAsync(secret) }), HttpStatusCode.OK);
        var recoveryCode = enabled.GetProperty("recoveryCodes")[0].GetString();
        var login = NewLogin("totp");
        var (linkVerifier, linkChallenge) = NewVerifier();
        var link = await ResponseAssert.JsonAsync(
            await owner.SendAsync(HttpMethod.Post, "/api/auth/oidc/test/link", new { returnTo = ReturnTo, codeChallenge = linkChallenge, password = Password, recoveryCode }, origin: TestApi.Frontend), HttpStatusCode.OK);
        var navigation = new SessionClient(api.Client);
        var start = await navigation.SendAsync(HttpMethod.Get, new Uri(link.GetProperty("url").GetString()!).PathAndQuery);
        Assert.Equal("test", (await FinishLinkAsync(owner, navigation, await Idp.SignInAsync(start.Headers.Location!, login, Ct), linkVerifier))["linked"]);

        var (back, browser, verifier) = await RoundTripAsync(login);
        var exchanged = await ResponseAssert.JsonAsync(await ExchangeAsync(browser, back["code"], verifier), HttpStatusCode.OK);

        Assert.Equal("mfa_required", exchanged.GetProperty("status").GetString());
        Assert.DoesNotContain(browser.Cookies.Keys, name => name == "auth" || name == "refresh");
        // The next step's code: the enabling code's step is spent.
        var code = await Oathtool.CodeAsync(secret, DateTimeOffset.UtcNow.AddSeconds(30));
        var second = await ResponseAssert.JsonAsync(await browser.SendAsync(HttpMethod.Post, AuthApi.MfaVerify.Path, new { code }), HttpStatusCode.OK);
        Assert.Equal(["fed", "otp", "mfa"], second.GetProperty("amr").EnumerateArray().Select(a => a.GetString()));
    }
}

/// <summary>The class's provider: one oidc-provider process for every test of the class.</summary>
public sealed partial class OidcSignInTests
{
    public sealed class ProviderFixture : IAsyncLifetime
    {
        private OidcProviderProcess? provider;

        public OidcProviderProcess Provider => provider ?? throw new InvalidOperationException("The OIDC provider has not started.");

        public async ValueTask InitializeAsync() =>
            provider = await OidcProviderProcess.StartNewAsync("serverless-signin", "signin-client-secret", ["http://127.0.0.1/api/auth/oidc/test/callback"]);

        public async ValueTask DisposeAsync()
        {
            if (provider is not null)
            {
                await provider.DisposeAsync();
            }
        }
    }
}
