using System.Net;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Serverless.Auth.Http;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tokens;

namespace Serverless.Auth.Tests.Tokens;

/// <summary>The JWKS and discovery documents as served: public parameters only, cacheable, consistent with the issuer.</summary>
public sealed class JwksEndpointTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task JwksListsSigningAndPublishedKeysWithPublicParametersOnlyAndIsCacheable()
    {
        var server = new Es256Api(azurite);
        await using var api = await server.StartAsync(Es256Api.NewPem(), publishedPem: Es256Api.NewPem());
        var token = new JsonWebToken((await Es256Api.SignedInAsync(api)).Access!);

        using var response = await api.Client.GetAsync(AuthApi.Jwks.Path, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("public, max-age=300", response.Headers.CacheControl?.ToString());
        var keys = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!["keys"]!.AsArray();
        Assert.Equal(2, keys.Count);
        foreach (var key in keys)
        {
            Assert.Equal(["kty", "use", "alg", "kid", "crv", "x", "y"], key!.AsObject().Select(p => p.Key));
            Assert.Equal("EC", (string?)key["kty"]);
            Assert.Equal("sig", (string?)key["use"]);
            Assert.Equal("ES256", (string?)key["alg"]);
            Assert.Equal("P-256", (string?)key["crv"]);
            Assert.Null(key["d"]);
        }

        // The signing key comes first and is the one the token names.
        Assert.Equal(token.Kid, (string?)keys[0]!["kid"]);
    }

    [Fact]
    public async Task DiscoveryNamesTheIssuerAndItsJwksAndIsCacheable()
    {
        var server = new Es256Api(azurite);
        await using var api = await server.StartAsync(Es256Api.NewPem());

        using var response = await api.Client.GetAsync(AuthApi.OpenIdConfiguration.Path, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("public, max-age=300", response.Headers.CacheControl?.ToString());
        var document = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        Assert.Equal(server.Issuer, (string?)document["issuer"]);
        Assert.Equal(server.JwksUrl, (string?)document["jwks_uri"]);
        // The layout: issuer + "/.well-known/openid-configuration" is this very route.
        Assert.Equal(server.Issuer + "/.well-known/openid-configuration", server.BaseUrl + AuthApi.OpenIdConfiguration.Path);
    }

    /// <summary>Issue 23: jwks_uri was issuer + "/.well-known/jwks.json", a route that does not exist for the HS256 default issuer (…/api).</summary>
    [Theory]
    [InlineData("https://func-x.azurewebsites.net/api/auth", "https://func-x.azurewebsites.net/api/auth/.well-known/jwks.json")]
    [InlineData("https://func-x.azurewebsites.net/api", "https://func-x.azurewebsites.net/api/auth/.well-known/jwks.json")]
    [InlineData("https://func-x.azurewebsites.net/api/", "https://func-x.azurewebsites.net/api/auth/.well-known/jwks.json")]
    [InlineData("https://example.com/identity/api/auth", "https://example.com/identity/api/auth/.well-known/jwks.json")]
    [InlineData("https://example.com/identity/api", "https://example.com/identity/api/auth/.well-known/jwks.json")]
    [InlineData("http://localhost:7071", "http://localhost:7071/api/auth/.well-known/jwks.json")]
    [InlineData("https://api.example.com/tokens", "https://api.example.com/api/auth/.well-known/jwks.json")]
    [InlineData("urn:example:auth", "/api/auth/.well-known/jwks.json")]
    [InlineData("https://example.com/apis", "https://example.com/api/auth/.well-known/jwks.json")]
    public void JwksUriIsTheJwksRouteOnTheIssuersHost(string issuer, string expected) =>
        Assert.Equal(expected, OpenIdConfigurationEndpoint.JwksUri(issuer, AuthRoutes.DefaultBasePath));

    /// <summary>Issue 27: the auth routes mapped under another base path (MapAuthApi("/identity")).</summary>
    [Theory]
    [InlineData("https://example.com/identity", "https://example.com/identity/.well-known/jwks.json")]
    [InlineData("https://example.com/tenant/identity/", "https://example.com/tenant/identity/.well-known/jwks.json")]
    [InlineData("https://example.com", "https://example.com/identity/.well-known/jwks.json")]
    [InlineData("https://example.com/api/auth", "https://example.com/identity/.well-known/jwks.json")]
    public void JwksUriFollowsTheAuthBasePath(string issuer, string expected) =>
        Assert.Equal(expected, OpenIdConfigurationEndpoint.JwksUri(issuer, "/identity"));

    /// <summary>In HS256 mode (the shared test settings' issuer is https://api.test) the document names a route that answers.</summary>
    [Fact]
    public async Task Hs256DiscoveryNamesTheJwksRouteItServes()
    {
        await using var api = await azurite.StartApiAsync(s => s["Auth:Jwt:Issuer"] = "https://api.test/api");

        var document = JsonNode.Parse(await api.Client.GetStringAsync(AuthApi.OpenIdConfiguration.Path, TestContext.Current.CancellationToken))!;
        var jwksUri = new Uri((string)document["jwks_uri"]!);
        using var jwks = await api.Client.GetAsync(jwksUri.AbsolutePath, TestContext.Current.CancellationToken);

        Assert.Equal(("https", "api.test", AuthApi.Jwks.Path), (jwksUri.Scheme, jwksUri.Host, jwksUri.AbsolutePath));
        Assert.Equal(HttpStatusCode.OK, jwks.StatusCode);
        Assert.Equal("""{"keys":[]}""", await jwks.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Hs256OnlyPublishesAnEmptySetAndOtherAnswersStayNoStore()
    {
        await using var api = await azurite.StartApiAsync();

        using var jwks = await api.Client.GetAsync(AuthApi.Jwks.Path, TestContext.Current.CancellationToken);
        using var verify = await api.VerifyAsync();

        Assert.Equal(HttpStatusCode.OK, jwks.StatusCode);
        Assert.Equal("""{"keys":[]}""", await jwks.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("public, max-age=300", jwks.Headers.CacheControl?.ToString());
        Assert.Equal("no-store", verify.Headers.CacheControl?.ToString());
    }
}
