using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Oidc;

/// <summary>
/// The two providers the social sign-in tests run against, checked with plain HTTP and IdentityModel, no product code:
/// the real one (oidc-provider, driven through its login pages) issues codes that exchange for ID tokens carrying the
/// email claims of the login, signed by its JWKS; the rogue stub serves discovery and JWKS and answers the token
/// endpoint with whatever token a test configures, recording what the client sent.
/// </summary>
public sealed class TestProviderTests(TestProviderTests.ProviderFixture fixture) : IClassFixture<TestProviderTests.ProviderFixture>
{
    private const string ClientId = "serverless-test";
    private const string ClientSecret = "test-client-secret";
    private const string RegisteredRedirect = "http://127.0.0.1/api/auth/oidc/test/callback";

    /// <summary>The redirect URI an API on port 5999 sends: the registered loopback one, with a port.</summary>
    private const string Redirect = "http://127.0.0.1:5999/api/auth/oidc/test/callback";

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private OidcProviderProcess Provider => fixture.Provider;

    [Fact]
    public async Task TheProviderServesDiscoveryForItsIssuer()
    {
        using var http = new HttpClient();
        var discovery = await http.GetFromJsonAsync<JsonElement>(Provider.Authority + "/.well-known/openid-configuration", Cancellation);

        Assert.Equal(Provider.Authority, discovery.GetProperty("issuer").GetString());
        Assert.Equal(Provider.Authority + "/auth", discovery.GetProperty("authorization_endpoint").GetString());
        Assert.Contains("client_secret_post", Strings(discovery, "token_endpoint_auth_methods_supported"));
        Assert.Equal(["S256"], Strings(discovery, "code_challenge_methods_supported"));
        Assert.Equal(["openid", "email", "profile"], Strings(discovery, "scopes_supported"));
        Assert.Equal(["RS256"], Strings(discovery, "id_token_signing_alg_values_supported"));
    }

    [Theory]
    [InlineData("alice", "alice@example.test", true)]
    [InlineData("carol@corp.test", "carol@corp.test", true)]
    [InlineData("unverified-bob", "unverified-bob@example.test", false)]
    public async Task ASignInGivesACodeThatExchangesForAnIdTokenWithTheLoginsEmail(string login, string email, bool verified)
    {
        var request = AuthorizationRequest.New(await EndpointAsync("authorization_endpoint"));

        var callback = await Provider.SignInAsync(request.Url, login, Cancellation);

        Assert.Equal(Redirect, callback.GetLeftPart(UriPartial.Path));
        var query = QueryHelpers.ParseQuery(callback.Query);
        Assert.Equal(request.State, query["state"].ToString());
        Assert.Equal(Provider.Authority, query["iss"].ToString());
        var token = await ValidateAsync(await ExchangeAsync(query["code"].ToString(), request.Verifier));
        Assert.Equal(login, token.Subject);
        Assert.Equal(email, token.GetPayloadValue<string>("email"));
        Assert.Equal(verified, token.GetPayloadValue<bool>("email_verified"));
        Assert.Equal(login, token.GetPayloadValue<string>("name"));
        Assert.Equal(request.Nonce, token.GetPayloadValue<string>("nonce"));
    }

    [Fact]
    public async Task ACodeExchangesOnceAndOnlyWithItsVerifier()
    {
        var request = AuthorizationRequest.New(await EndpointAsync("authorization_endpoint"));
        var code = QueryHelpers.ParseQuery((await Provider.SignInAsync(request.Url, "dave", Cancellation)).Query)["code"].ToString();

        using (var wrongVerifier = await PostTokenAsync(code, AuthorizationRequest.NewVerifier()))
        {
            Assert.Equal(HttpStatusCode.BadRequest, wrongVerifier.StatusCode);
        }

        // A failed attempt leaves the code usable; a successful one consumes it.
        await ExchangeAsync(code, request.Verifier);
        using var replay = await PostTokenAsync(code, request.Verifier);
        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        Assert.Contains("invalid_grant", await replay.Content.ReadAsStringAsync(Cancellation), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutAutoConsentTheDriverSubmitsTheConsentPage()
    {
        await using var provider = await OidcProviderProcess.StartNewAsync(ClientId, ClientSecret, [RegisteredRedirect], autoConsent: false, Cancellation);
        var request = AuthorizationRequest.New(provider.Authority + "/auth");

        var callback = await provider.SignInAsync(request.Url, "erin", Cancellation);

        var query = QueryHelpers.ParseQuery(callback.Query);
        Assert.Equal(request.State, query["state"].ToString());
        Assert.NotEmpty(query["code"].ToString());
    }

    [Fact]
    public async Task CancellingAtTheProviderRedirectsWithAccessDenied()
    {
        var request = AuthorizationRequest.New(await EndpointAsync("authorization_endpoint"));

        var callback = await Provider.DenyAsync(request.Url, Cancellation);

        Assert.Equal(Redirect, callback.GetLeftPart(UriPartial.Path));
        var query = QueryHelpers.ParseQuery(callback.Query);
        Assert.Equal("access_denied", query["error"].ToString());
        Assert.Equal(request.State, query["state"].ToString());
        Assert.False(query.ContainsKey("code"));
    }

    [Fact]
    public async Task AnUnregisteredRedirectUriIsAnErrorPageNotARedirect()
    {
        var request = AuthorizationRequest.New(await EndpointAsync("authorization_endpoint"), redirectUri: "http://127.0.0.1:5999/elsewhere");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Provider.SignInAsync(request.Url, "frank", Cancellation));

        Assert.Contains("redirect_uri", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheRogueProviderServesDiscoveryJwksAndTheConfiguredToken()
    {
        await using var rogue = await RogueOidcProvider.StartAsync(ClientId, Cancellation);
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });

        var discovery = await http.GetFromJsonAsync<JsonElement>(rogue.Issuer + "/.well-known/openid-configuration", Cancellation);
        Assert.Equal(rogue.Issuer, discovery.GetProperty("issuer").GetString());
        Assert.Equal(["client_secret_post"], Strings(discovery, "token_endpoint_auth_methods_supported"));
        var jwks = new JsonWebKeySet(await http.GetStringAsync(discovery.GetProperty("jwks_uri").GetString(), Cancellation));
        Assert.Equal([rogue.RsaKey.Key.KeyId, rogue.EcKey.Key.KeyId], jwks.Keys.Select(k => k.Kid));
        Assert.All(jwks.Keys, k => Assert.False(k.HasPrivateKey));
        Assert.Equal((1, 1), (rogue.DiscoveryRequests, rogue.JwksRequests));

        // The authorization endpoint redirects straight back with a code, over HTTP as in-process.
        var request = AuthorizationRequest.New(discovery.GetProperty("authorization_endpoint").GetString()!);
        using var authorize = await http.GetAsync(request.Url, Cancellation);
        Assert.Equal(HttpStatusCode.Redirect, authorize.StatusCode);
        var callback = QueryHelpers.ParseQuery(authorize.Headers.Location!.Query);
        Assert.Equal(request.State, callback["state"].ToString());
        Assert.Equal(request.Nonce, Assert.Single(rogue.Authorizations).Nonce);

        var configured = rogue.IdToken(rogue.Claims(nonce: "from the test", sub: "mallory"), rogue.EcKey);
        rogue.IdTokenFor = _ => configured;
        using var token = await PostTokenAsync(discovery.GetProperty("token_endpoint").GetString()!, callback["code"].ToString(), request.Verifier);
        Assert.Equal(HttpStatusCode.OK, token.StatusCode);
        var body = await token.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        Assert.Equal(configured, body.GetProperty("id_token").GetString());
        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());

        var recorded = Assert.Single(rogue.TokenRequests);
        Assert.Equal(
            ("client_secret_post", "authorization_code", ClientId, ClientSecret, Redirect),
            (recorded.AuthMethod, recorded.GrantType, recorded.ClientId, recorded.ClientSecret, recorded.RedirectUri));
        Assert.True(recorded.CodeVerifierMatches);
        Assert.Same(rogue.Authorizations[0], recorded.Authorization);
    }

    [Fact]
    public async Task TheRogueProvidersTokensVerifyWithItsJwksExceptTheForeignOnes()
    {
        await using var rogue = await RogueOidcProvider.StartAsync(ClientId, Cancellation);
        var claims = rogue.Claims(nonce: "n-1");

        Assert.Equal("n-1", (await ValidateAsync(rogue.IdToken(claims), rogue.Issuer)).GetPayloadValue<string>("nonce"));
        Assert.Equal("ES256", (await ValidateAsync(rogue.IdToken(claims, rogue.EcKey), rogue.Issuer)).Alg);
        var added = rogue.AddKey(SecurityAlgorithms.EcdsaSha256);
        Assert.Equal(added.Key.KeyId, (await ValidateAsync(rogue.IdToken(claims, added), rogue.Issuer)).Kid);
        rogue.RemoveKey(added);
        Assert.DoesNotContain(added, rogue.Keys);

        foreach (var refused in new[]
        {
            rogue.IdToken(claims, rogue.ForeignKey),
            rogue.IdToken(claims, rogue.ForeignKeyWithKnownKid),
            rogue.IdToken(claims, added),
            rogue.IdToken(claims, alg: "RS512"),
            RogueOidcProvider.UnsignedToken(claims),
            rogue.IdToken(rogue.Claims(nonce: null, aud: "someone-else")),
            rogue.IdToken(rogue.Claims(nonce: null, exp: DateTimeOffset.UtcNow.AddMinutes(-10), iat: DateTimeOffset.UtcNow.AddMinutes(-20))),
        })
        {
            await Assert.ThrowsAnyAsync<SecurityTokenException>(() => ValidateAsync(refused, rogue.Issuer));
        }
    }

    [Fact]
    public async Task TheRogueProviderRecordsBasicClientAuthenticationAndAnswersWhatATestSets()
    {
        await using var rogue = await RogueOidcProvider.StartAsync(ClientId, Cancellation);
        rogue.TokenResponse = _ => Results.Json(new { error = "invalid_grant" }, statusCode: 400);
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, rogue.Issuer + "/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "authorization_code", ["code"] = "unknown" }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(ClientId)}:{Uri.EscapeDataString("s3cret:with colon")}")));

        using var response = await http.SendAsync(request, Cancellation);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var recorded = Assert.Single(rogue.TokenRequests);
        Assert.Equal(("client_secret_basic", ClientId, "s3cret:with colon"), (recorded.AuthMethod, recorded.ClientId, recorded.ClientSecret));
        Assert.Null(recorded.Authorization);
    }

    private static string[] Strings(JsonElement document, string name) =>
        [.. document.GetProperty(name).EnumerateArray().Select(e => e.GetString()!)];

    private async Task<string> EndpointAsync(string name)
    {
        using var http = new HttpClient();
        var discovery = await http.GetFromJsonAsync<JsonElement>(Provider.Authority + "/.well-known/openid-configuration", Cancellation);
        return discovery.GetProperty(name).GetString()!;
    }

    private Task<HttpResponseMessage> PostTokenAsync(string code, string verifier) =>
        PostTokenAsync(Provider.Authority + "/token", code, verifier);

    /// <summary>The token request with client_secret_post, as the relying party makes it.</summary>
    private static async Task<HttpResponseMessage> PostTokenAsync(string tokenEndpoint, string code, string verifier)
    {
        using var http = new HttpClient();
        return await http.PostAsync(tokenEndpoint, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = Redirect,
            ["code_verifier"] = verifier,
            ["client_id"] = ClientId,
            ["client_secret"] = ClientSecret,
        }), Cancellation);
    }

    private async Task<string> ExchangeAsync(string code, string verifier)
    {
        using var response = await PostTokenAsync(code, verifier);
        var body = await response.Content.ReadAsStringAsync(Cancellation);
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("id_token").GetString()!;
    }

    /// <summary>Validates an ID token with IdentityModel against the issuer's JWKS (fetched from its discovery), for <see cref="ClientId"/>.</summary>
    private async Task<JsonWebToken> ValidateAsync(string idToken, string? issuer = null)
    {
        issuer ??= Provider.Authority;
        using var http = new HttpClient();
        var discovery = await http.GetFromJsonAsync<JsonElement>(issuer + "/.well-known/openid-configuration", Cancellation);
        var jwks = new JsonWebKeySet(await http.GetStringAsync(discovery.GetProperty("jwks_uri").GetString(), Cancellation));
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(idToken, new TokenValidationParameters
        {
            ValidIssuer = issuer,
            ValidAudience = ClientId,
            IssuerSigningKeys = jwks.GetSigningKeys(),
            ValidAlgorithms = ["RS256", "ES256"],
        });
        return result.IsValid ? (JsonWebToken)result.SecurityToken : throw result.Exception;
    }

    /// <summary>An authorization request as the relying party sends it: code flow, PKCE S256, state and nonce.</summary>
    private sealed record AuthorizationRequest(Uri Url, string State, string Nonce, string Verifier)
    {
        public static string NewVerifier() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));

        public static AuthorizationRequest New(string authorizationEndpoint, string redirectUri = Redirect)
        {
            var (state, nonce, verifier) = (NewVerifier(), NewVerifier(), NewVerifier());
            var url = QueryHelpers.AddQueryString(authorizationEndpoint, new Dictionary<string, string?>
            {
                ["client_id"] = ClientId,
                ["response_type"] = "code",
                ["scope"] = "openid email profile",
                ["redirect_uri"] = redirectUri,
                ["state"] = state,
                ["nonce"] = nonce,
                ["code_challenge"] = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))),
                ["code_challenge_method"] = "S256",
            });
            return new AuthorizationRequest(new Uri(url), state, nonce, verifier);
        }
    }

    /// <summary>One real provider for the class, with the client the tests use.</summary>
    public sealed class ProviderFixture : IAsyncLifetime
    {
        private OidcProviderProcess? provider;

        public OidcProviderProcess Provider => provider ?? throw new InvalidOperationException("The OIDC provider has not started.");

        public async ValueTask InitializeAsync() =>
            provider = await OidcProviderProcess.StartNewAsync(ClientId, ClientSecret, [RegisteredRedirect]);

        public async ValueTask DisposeAsync()
        {
            if (provider is not null)
            {
                await provider.DisposeAsync();
            }
        }
    }
}
