using System.Net;
using System.Security.Cryptography;
using System.Text;
using Azure.Data.Tables;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Serverless.Auth.Oidc;
using Serverless.Auth.Storage;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;
using static Serverless.Auth.Tests.Oidc.OidcTestFlow;

namespace Serverless.Auth.Tests.Oidc;

/// <summary>
/// What a certified provider never sends, from a rogue stub provider (tests/Shared/Oidc/RogueOidcProvider.cs): forged,
/// expired, misaddressed ID tokens, each refused at the callback with no account, identity or code; plus tampered
/// callbacks, the discovery document's rules, key rotation, client authentication and two first sign-ins at once.
/// </summary>
public sealed class OidcAttackTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string Provider = "rogue";

    // At least 32 bytes: an HS256 key made of it is one IdentityModel would accept, were HS* allowed.
    private const string ClientSecret = "rogue-client-secret-0123456789abcdef";
    private RogueOidcProvider rogue = null!;
    private Dictionary<string, string?> settings = null!;
    private TestApi api = null!;
    private TestApi other = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        rogue = await RogueOidcProvider.StartAsync("rogue-client", Ct);
        settings = azurite.Settings(s =>
        {
            s["Auth:Oidc:Providers:rogue:Authority"] = rogue.Issuer;
            s["Auth:Oidc:Providers:rogue:ClientId"] = rogue.ClientId;
            s["Auth:Oidc:Providers:rogue:ClientSecret"] = ClientSecret;
            s["Auth:Oidc:Providers:rogue:TrustEmail"] = "true";
        });
        api = await TestApi.StartAsync(settings, cancellationToken: Ct);
        other = await TestApi.StartAsync(settings, cancellationToken: Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await api.DisposeAsync();
        await other.DisposeAsync();
        await rogue.DisposeAsync();
    }

    private TableClient Users => new(azurite.ConnectionString, settings["Auth:Storage:UsersTable"]!);

    private async Task<(Dictionary<string, string> Return, SessionClient Browser, string Verifier)> RoundTripAsync(TestApi? on = null)
    {
        var browser = new SessionClient((on ?? api).Client);
        var (verifier, challenge) = NewVerifier();
        var authorize = await StartAsync(browser, Provider, challenge);
        return (await CallbackAsync(browser, rogue.SignIn(authorize)), browser, verifier);
    }

    private void AssertNothingStored()
    {
        Assert.Empty(Users.Query<TableEntity>(e => e.RowKey == "oidc" || e.RowKey == "user", cancellationToken: Ct));
    }

    public static TheoryData<string> ForgedTokens =>
    [
        "wrong-aud", "wrong-iss", "alg-none", "foreign-key", "foreign-key-under-a-known-kid", "hs256-keyed-with-the-client-secret",
        "header-alg-lies", "expired", "no-exp", "issued-long-ago", "issued-in-the-future", "another-nonce", "no-nonce",
        "several-audiences-no-azp", "no-sub", "not-a-jwt",
    ];

    [Theory]
    [MemberData(nameof(ForgedTokens))]
    public async Task AForgedOrMisaddressedIdTokenIsRefusedAndCreatesNothing(string forgery)
    {
        rogue.IdTokenFor = request =>
        {
            var nonce = request.Authorization?.Nonce;
            var claims = rogue.Claims(nonce, sub: "forged-" + forgery);
            switch (forgery)
            {
                case "wrong-aud":
                    return rogue.IdToken(rogue.Claims(nonce, aud: "another-client"));
                case "wrong-iss":
                    return rogue.IdToken(rogue.Claims(nonce, iss: "https://accounts.google.com"));
                case "alg-none":
                    return RogueOidcProvider.UnsignedToken(claims);
                case "foreign-key":
                    return rogue.IdToken(claims, rogue.ForeignKey);
                case "foreign-key-under-a-known-kid":
                    return rogue.IdToken(claims, rogue.ForeignKeyWithKnownKid);
                case "hs256-keyed-with-the-client-secret":
                    return rogue.IdToken(claims, new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(ClientSecret)) { KeyId = rogue.RsaKey.Key.KeyId }, SecurityAlgorithms.HmacSha256));
                case "header-alg-lies":
                    return rogue.IdToken(claims, rogue.RsaKey, alg: SecurityAlgorithms.EcdsaSha256);
                case "expired":
                    return rogue.IdToken(rogue.Claims(nonce, iat: DateTimeOffset.UtcNow.AddMinutes(-9), exp: DateTimeOffset.UtcNow.AddMinutes(-4)));
                case "no-exp":
                    claims.Remove("exp");
                    return rogue.IdToken(claims);
                case "issued-long-ago":
                    return rogue.IdToken(rogue.Claims(nonce, iat: DateTimeOffset.UtcNow.AddHours(-1), exp: DateTimeOffset.UtcNow.AddHours(1)));
                case "issued-in-the-future":
                    return rogue.IdToken(rogue.Claims(nonce, iat: DateTimeOffset.UtcNow.AddMinutes(10), exp: DateTimeOffset.UtcNow.AddMinutes(20)));
                case "another-nonce":
                    return rogue.IdToken(rogue.Claims("another-sign-ins-nonce"));
                case "no-nonce":
                    return rogue.IdToken(rogue.Claims(nonce: null));
                case "several-audiences-no-azp":
                    claims["aud"] = new[] { rogue.ClientId, "another-client" };
                    return rogue.IdToken(claims);
                case "no-sub":
                    claims.Remove("sub");
                    return rogue.IdToken(claims);
                default:
                    return "not-a-jwt";
            }
        };

        var (back, browser, verifier) = await RoundTripAsync();

        Assert.Equal("invalid_id_token", back["error"]);
        Assert.False(back.ContainsKey("code"));
        AssertNothingStored();
        Assert.Single(rogue.TokenRequests);
        Assert.DoesNotContain(browser.Cookies.Keys, name => name is "auth" or "refresh");
        _ = verifier;
    }

    [Fact]
    public async Task AValidTokenSignedWithEitherOfTheProvidersKeysSignsInAndTheClientSentItsSecretAndVerifier()
    {
        rogue.IdTokenFor = request => rogue.IdToken(rogue.Claims(request.Authorization?.Nonce, sub: "ec-user", email: "ec-user@example.test"), rogue.EcKey);

        var (back, browser, verifier) = await RoundTripAsync();
        var session = await SignedInAsync(await ExchangeAsync(browser, back["code"], verifier));

        Assert.Equal("ec-user@example.test", session.GetProperty("email").GetString());
        var token = Assert.Single(rogue.TokenRequests);
        Assert.Equal("client_secret_post", token.AuthMethod);
        Assert.Equal(ClientSecret, token.ClientSecret);
        Assert.Equal("authorization_code", token.GrantType);
        Assert.True(token.CodeVerifierMatches);
        Assert.Equal(token.Authorization!.RedirectUri, token.RedirectUri);
        Assert.Equal(api.BaseUrl + "/api/auth/oidc/rogue/callback", token.RedirectUri);
    }

    [Fact]
    public async Task AForgedOrAlteredOneTimeCodeIsRefusedAndLeavesTheGenuineOneUsable()
    {
        rogue.IdTokenFor = request => rogue.IdToken(rogue.Claims(request.Authorization?.Nonce, sub: "sealed-user", email: "sealed-user@example.test"));
        var (back, browser, verifier) = await RoundTripAsync();
        var code = back["code"];
        var bytes = Base64UrlEncoder.DecodeBytes(code[3..]);
        bytes[20] ^= 1;

        // Altered, truncated, under another version's prefix (c1: the release before, which sealed no identity), extended.
        foreach (var forged in new[] { "c2." + Base64UrlEncoder.Encode(bytes), "c2.AAAA", "c1" + code[2..], "c3" + code[2..], code + "A", new string('a', 600) })
        {
            var refused = await ExchangeAsync(browser, forged, verifier);
            Assert.True((await ResponseAssert.ProblemAsync(refused, HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("code", out _));
        }

        await SignedInAsync(await ExchangeAsync(browser, code, verifier));
        await ResponseAssert.ProblemAsync(await ExchangeAsync(new SessionClient(other.Client), code, verifier), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task AProviderThatListsOnlyBasicGetsTheSecretInTheAuthorizationHeader()
    {
        rogue.Discovery["token_endpoint_auth_methods_supported"] = new[] { "client_secret_basic" };
        rogue.IdTokenFor = request => rogue.IdToken(rogue.Claims(request.Authorization?.Nonce, sub: "basic-user", email: "basic-user@example.test"));

        var (back, _, _) = await RoundTripAsync();

        Assert.True(back.ContainsKey("code"));
        var token = Assert.Single(rogue.TokenRequests);
        Assert.Equal("client_secret_basic", token.AuthMethod);
        Assert.Equal(ClientSecret, token.ClientSecret);
    }

    [Fact]
    public async Task AKeyTheProviderStartsUsingIsFetchedOnceItsKidIsSeen()
    {
        rogue.IdTokenFor = request => rogue.IdToken(rogue.Claims(request.Authorization?.Nonce, sub: "rotated-1", email: "rotated-1@example.test"));
        Assert.True((await RoundTripAsync()).Return.ContainsKey("code"));
        var fetched = rogue.JwksRequests;

        var rotated = rogue.AddKey();
        rogue.IdTokenFor = request => rogue.IdToken(rogue.Claims(request.Authorization?.Nonce, sub: "rotated-2", email: "rotated-2@example.test"), rotated);
        await Task.Delay(OidcClient.MinRefreshInterval, Ct);
        var (back, _, _) = await RoundTripAsync();

        Assert.True(back.ContainsKey("code"), string.Join(", ", back));
        Assert.Equal(fetched + 1, rogue.JwksRequests);

        // A warm cache: the next sign-in with a known key fetches nothing.
        Assert.True((await RoundTripAsync()).Return.ContainsKey("code"));
        Assert.Equal(fetched + 1, rogue.JwksRequests);
    }

    [Fact]
    public async Task ADiscoveryDocumentForAnotherIssuerIsRefused()
    {
        rogue.Discovery["issuer"] = "https://accounts.google.com";
        var browser = new SessionClient(api.Client);
        var (_, challenge) = NewVerifier();

        var start = await browser.SendAsync(HttpMethod.Get, StartPath(Provider, challenge));

        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        Assert.Equal(ReturnTo + "?error=provider_error", start.Headers.Location!.ToString());
        Assert.DoesNotContain(browser.Cookies.Keys, name => name == "auth-oidc");
    }

    [Fact]
    public async Task ATamperedStateAnErrorAndAMissingCookieAreRefusedWithoutCallingTheTokenEndpoint()
    {
        var browser = new SessionClient(api.Client);
        var (_, challenge) = NewVerifier();
        var callback = rogue.SignIn(await StartAsync(browser, Provider, challenge));
        var tampered = new Uri(callback.ToString().Replace("state=", "state=x", StringComparison.Ordinal));
        Assert.Equal("state_mismatch", (await CallbackAsync(browser, tampered))["error"]);

        // The mismatch spent the flow: the genuine callback now finds no cookie.
        var spent = await browser.SendAsync(HttpMethod.Get, callback.PathAndQuery);
        Assert.Equal("state_missing", (await ResponseAssert.ProblemAsync(spent, HttpStatusCode.BadRequest)).GetProperty("code").GetString());

        var denied = new SessionClient(api.Client);
        var deniedStart = rogue.SignIn(await StartAsync(denied, Provider, NewVerifier().Challenge));
        var state = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(deniedStart.Query)["state"].ToString();
        var error = new Uri($"{api.BaseUrl}/api/auth/oidc/rogue/callback?error=access_denied&state={Uri.EscapeDataString(state)}");
        Assert.Equal("access_denied", (await CallbackAsync(denied, error))["error"]);

        // Someone else's callback URL (login CSRF): this browser has no flow, so nothing happens.
        var victim = new SessionClient(api.Client);
        var attackersCallback = rogue.SignIn(await StartAsync(new SessionClient(api.Client), Provider, NewVerifier().Challenge));
        Assert.Equal(HttpStatusCode.BadRequest, (await victim.SendAsync(HttpMethod.Get, attackersCallback.PathAndQuery)).StatusCode);
        Assert.Empty(rogue.TokenRequests);
        AssertNothingStored();
    }

    [Fact]
    public async Task AStateCookieIsBoundToItsProviderAndToTheServerKey()
    {
        var browser = new SessionClient(api.Client);
        var callback = rogue.SignIn(await StartAsync(browser, Provider, NewVerifier().Challenge));
        var genuine = browser.Cookies["auth-oidc"];

        // One bit flipped in the sealed value: it no longer decrypts.
        var bytes = Base64UrlEncoder.DecodeBytes(genuine[3..]);
        bytes[^1] ^= 1;
        browser.Set("auth-oidc", "o1." + Base64UrlEncoder.Encode(bytes));
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.SendAsync(HttpMethod.Get, callback.PathAndQuery)).StatusCode);

        // Two values under the name (one planted beside it): neither is believed.
        var planted = new SessionClient(api.Client);
        var plantedCallback = rogue.SignIn(await StartAsync(planted, Provider, NewVerifier().Challenge));
        using var request = new HttpRequestMessage(HttpMethod.Get, plantedCallback.PathAndQuery);
        request.Headers.Add("Cookie", $"auth-oidc={planted.Cookies["auth-oidc"]}; auth-oidc={genuine}");
        Assert.Equal(HttpStatusCode.BadRequest, (await api.Client.SendAsync(request, Ct)).StatusCode);
        Assert.Empty(rogue.TokenRequests);
    }

    [Fact]
    public async Task TwoFirstSignInsOfOneIdentityAtOnceOnTwoInstancesEndInOneAccount()
    {
        rogue.IdTokenFor = request => rogue.IdToken(rogue.Claims(request.Authorization?.Nonce, sub: "twice", email: "twice@example.test"));
        var tabs = new[] { new SessionClient(api.Client), new SessionClient(other.Client) };
        var callbacks = new List<Uri>();
        var verifiers = new List<string>();
        foreach (var tab in tabs)
        {
            var (verifier, challenge) = NewVerifier();
            verifiers.Add(verifier);
            callbacks.Add(rogue.SignIn(await StartAsync(tab, Provider, challenge)));
        }

        var backs = await Task.WhenAll(tabs.Select((tab, i) => CallbackAsync(tab, callbacks[i])));
        Assert.All(backs, back => Assert.True(back.ContainsKey("code"), string.Join(", ", back)));

        var sessions = await Task.WhenAll(tabs.Select(async (tab, i) => await SignedInAsync(await ExchangeAsync(tab, backs[i]["code"], verifiers[i]))));
        Assert.Single(sessions.Select(s => s.GetProperty("userId").GetString()).Distinct());
        // The loser's account, if it got as far as writing one, is a tombstone (no Email): the address has one account.
        Assert.Single(Users.Query<TableEntity>(e => e.RowKey == "user" && e.GetString("Email") == "twice@example.test", cancellationToken: Ct));
        Assert.Single(Users.Query<TableEntity>(e => e.RowKey == "oidc-rogue", cancellationToken: Ct));
    }

    /// <summary>
    /// An identity row left naming an account that is gone (a crash between writes): the callbacks go by it, and the
    /// exchanges, finding no account that holds the link, resolve the identity again as a first sign-in. Two at once on
    /// two instances end in one new account, which the row then names, so the next sign-in goes straight there.
    /// </summary>
    [Fact]
    public async Task TwoExchangesAtOnceOfAnIdentityWhoseRowNamesAGoneAccountEndInOneNewAccount()
    {
        rogue.IdTokenFor = request => rogue.IdToken(rogue.Claims(request.Authorization?.Nonce, sub: "orphaned", email: "orphaned@example.test"));
        var identityKey = "oidc." + Base64UrlEncoder.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(Provider + "\norphaned")));
        var gone = Guid.CreateVersion7().ToString();
        await Users.AddEntityAsync(new TableEntity(identityKey, "oidc") { ["Kind"] = "oidc", ["Provider"] = Provider, ["AccountId"] = gone }, Ct);
        var tabs = new[] { new SessionClient(api.Client), new SessionClient(other.Client) };
        var rounds = new List<(Dictionary<string, string> Back, string Verifier)>();
        foreach (var tab in tabs)
        {
            var (verifier, challenge) = NewVerifier();
            rounds.Add((await CallbackAsync(tab, rogue.SignIn(await StartAsync(tab, Provider, challenge))), verifier));
        }

        Assert.All(rounds, round => Assert.True(round.Back.ContainsKey("code"), string.Join(", ", round.Back)));
        var sessions = await Task.WhenAll(tabs.Select(async (tab, i) => await SignedInAsync(await ExchangeAsync(tab, rounds[i].Back["code"], rounds[i].Verifier))));

        var userId = Assert.Single(sessions.Select(s => s.GetProperty("userId").GetString()).Distinct())!;
        Assert.NotEqual(gone, userId);
        Assert.Single(Users.Query<TableEntity>(e => e.RowKey == "user" && e.GetString("Email") == "orphaned@example.test", cancellationToken: Ct));
        Assert.Equal("orphaned", Assert.Single(Users.Query<TableEntity>(e => e.RowKey == "oidc-rogue" && e.PartitionKey == userId, cancellationToken: Ct)).GetString("Subject"));
        Assert.Equal(userId, (await Users.GetEntityAsync<TableEntity>(identityKey, "oidc", cancellationToken: Ct)).Value.GetString("AccountId"));
        var (again, browser, againVerifier) = await RoundTripAsync(other);
        Assert.Equal(userId, (await SignedInAsync(await ExchangeAsync(browser, again["code"], againVerifier))).GetProperty("userId").GetString());
    }

    /// <summary>
    /// The interleavings the test above may or may not hit, made exact: the first tab's account exists (its address
    /// claimed), and its link is held back (before its link row and count are written, or after, before its identity row
    /// is) while the second tab's callback checks the address. The second finds an account with no password and nothing
    /// linked but this identity, waits for the link, and signs in to that account instead of answering account_exists.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ASecondFirstSignInThatFindsTheFirstsAccountBeforeItsLinkWaitsForItAndSignsInThere(bool linkRowWritten)
    {
        var sub = linkRowWritten ? "held-after" : "held";
        rogue.IdTokenFor = request => rogue.IdToken(rogue.Claims(request.Authorization?.Nonce, sub: sub, email: sub + "@example.test"));
        var hook = new StorageHook();
        await using var hooked = await TestApi.StartAsync(
            settings, builder => builder.Services.PostConfigure<StorageOptions>(o => o.PipelineObserver = hook), cancellationToken: Ct);
        var (first, second) = (new SessionClient(hooked.Client), new SessionClient(other.Client));
        var (firstVerifier, firstChallenge) = NewVerifier();
        var (secondVerifier, secondChallenge) = NewVerifier();
        var firstCallback = rogue.SignIn(await StartAsync(first, Provider, firstChallenge));
        var secondCallback = rogue.SignIn(await StartAsync(second, Provider, secondChallenge));

        Task<Dictionary<string, string>>? secondBack = null;
        async Task SecondMeanwhile()
        {
            secondBack = CallbackAsync(second, secondCallback);
            await Task.Delay(TimeSpan.FromMilliseconds(600), Ct);
        }

        hook.Arm((method, table) => method == "POST" && table == "$batch", before: linkRowWritten ? null : SecondMeanwhile, after: linkRowWritten ? SecondMeanwhile : null);
        var firstBack = await CallbackAsync(first, firstCallback);

        Assert.True(hook.Fired);
        var back = await secondBack!;
        Assert.True(back.ContainsKey("code"), string.Join(", ", back));
        var firstSession = await SignedInAsync(await ExchangeAsync(first, firstBack["code"], firstVerifier));
        var secondSession = await SignedInAsync(await ExchangeAsync(second, back["code"], secondVerifier));
        Assert.Equal(firstSession.GetProperty("userId").GetString(), secondSession.GetProperty("userId").GetString());
        Assert.Single(Users.Query<TableEntity>(e => e.RowKey == "user" && e.GetString("Email") == sub + "@example.test", cancellationToken: Ct));
    }

    [Fact]
    public async Task ATokenEndpointRefusalIsAProviderErrorAndNeverA500()
    {
        rogue.TokenResponse = _ => Results.Json(new { error = "invalid_grant" }, statusCode: 400);
        Assert.Equal("provider_error", (await RoundTripAsync()).Return["error"]);

        rogue.TokenResponse = _ => Results.Json(new { access_token = "x", token_type = "Bearer" });
        Assert.Equal("provider_error", (await RoundTripAsync()).Return["error"]);

        rogue.TokenResponse = _ => Results.Text("<html>not json</html>", "text/html");
        Assert.Equal("provider_error", (await RoundTripAsync()).Return["error"]);
        AssertNothingStored();
    }

    [Theory]
    [InlineData("https://login.microsoftonline.com/{tenantid}/v2.0", "9188040d-6c67-4c5b-b112-36a304b66dad", "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0")]
    [InlineData("https://login.microsoftonline.com/{tenantid}/v2.0", "not-a-guid", null)]
    [InlineData("https://login.microsoftonline.com/{tenantid}/v2.0", null, null)]
    [InlineData("https://accounts.google.com", "9188040d-6c67-4c5b-b112-36a304b66dad", "https://accounts.google.com")]
    public void AMultiTenantIssuerIsTheTokensOwnTenants(string discoveryIssuer, string? tid, string? expected)
    {
        var claims = new Dictionary<string, object> { ["sub"] = "s" };
        if (tid is not null)
        {
            claims["tid"] = tid;
        }

        var token = new JsonWebToken(new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor { Claims = claims }));

        Assert.Equal(expected, OidcClient.ExpectedIssuer(discoveryIssuer, token));
    }
}
