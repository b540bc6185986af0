using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Serverless.Auth.Http;

namespace Serverless.Auth.Tokens;

/// <summary>One published key: public parameters only (never <c>d</c>).</summary>
public sealed record JsonWebKeyResponse(
    [property: JsonPropertyName("kty")] string Kty,
    [property: JsonPropertyName("use")] string Use,
    [property: JsonPropertyName("alg")] string Alg,
    [property: JsonPropertyName("kid")] string Kid,
    [property: JsonPropertyName("crv")] string Crv,
    [property: JsonPropertyName("x")] string X,
    [property: JsonPropertyName("y")] string Y);

/// <summary>RFC 7517 JWK Set.</summary>
public sealed record JsonWebKeySetResponse([property: JsonPropertyName("keys")] IReadOnlyList<JsonWebKeyResponse> Keys);

/// <summary>
/// <c>GET /api/auth/.well-known/jwks.json</c>: the ES256 public keys that verify our access tokens
/// (signing keys and published-only keys); an empty set in HS256-only mode.
/// </summary>
internal sealed class JwksEndpoint
{
    /// <summary>
    /// How long a verifier or proxy may cache the set. A new key is published at least this long before
    /// it signs (docs/security-model.md, key rotation), so no cache meets a token whose key it has not fetched.
    /// </summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(5);

    public static readonly EndpointDeclaration Declaration = EndpointDeclaration.For(
        new Operation
        {
            Summary = "The public keys that verify access tokens (JWKS)",
            Description = "The ES256 public keys (kty EC, crv P-256, alg ES256, use sig, kid = RFC 7638 thumbprint) that verify access tokens, "
                + "for APIs that check our tokens themselves. Cacheable for 5 minutes. Empty while tokens are signed with HS256.",
            ChecksOrigin = false,
        },
        static (JwksEndpoint endpoint, EndpointRequest<NoBody> request) => Task.FromResult(endpoint.Handle(request.Context)));

    private readonly JsonWebKeySetResponse document;

    public JwksEndpoint(IOptions<JwtOptions> options)
    {
        var keys = options.Value.Keys.Set ?? throw new InvalidOperationException(options.Value.Keys.Error);
        document = new JsonWebKeySetResponse([.. keys.PublishedKeys.Select(k => new JsonWebKeyResponse("EC", "sig", "ES256", k.KeyId, "P-256", k.X, k.Y))]);
    }

    public Ok<JsonWebKeySetResponse> Handle(HttpContext context)
    {
        ResponseDefaults.AllowPublicCaching(context.Response, MaxAge);
        return TypedResults.Ok(document);
    }
}

/// <summary>The minimal OpenID Connect discovery document: enough for a JWT bearer handler pointed at our issuer.</summary>
public sealed record OpenIdConfigurationResponse(
    [property: JsonPropertyName("issuer")] string Issuer,
    [property: JsonPropertyName("jwks_uri")] string JwksUri);

/// <summary>
/// <c>GET /api/auth/.well-known/openid-configuration</c>. A bearer handler with <c>Authority = issuer</c>
/// reads <c>issuer + "/.well-known/openid-configuration"</c>, so with the recommended
/// <c>Auth__Jwt__Issuer = https://&lt;host&gt;/api/auth</c> this route is that address. <c>jwks_uri</c> is the
/// JWKS route (under the auth base path) on the issuer's host in every mode (<see cref="JwksUri"/>).
/// </summary>
internal sealed class OpenIdConfigurationEndpoint
{
    public static readonly EndpointDeclaration Declaration = EndpointDeclaration.For(
        new Operation
        {
            Summary = "Discovery document (issuer, jwks_uri)",
            Description = "A minimal OpenID Connect discovery document so off-the-shelf JWT bearer handlers can be pointed at the issuer: "
                + "issuer is Auth__Jwt__Issuer, jwks_uri is the JWKS route on the issuer's host. Cacheable for 5 minutes.",
            ChecksOrigin = false,
        },
        static (OpenIdConfigurationEndpoint endpoint, EndpointRequest<NoBody> request) => Task.FromResult(endpoint.Handle(request.Context)));

    private readonly OpenIdConfigurationResponse document;

    public OpenIdConfigurationEndpoint(IOptions<JwtOptions> options, AuthMount mount)
    {
        document = new OpenIdConfigurationResponse(options.Value.Issuer, JwksUri(options.Value.Issuer, mount.BasePath));
    }

    /// <summary>
    /// Where the JWKS route is, from the issuer and never from the request (a cacheable document must not follow a
    /// Host header). An issuer whose path ends with the start of the auth base path (<c>…/api/auth</c>, the ES256
    /// default, or <c>…/api</c>, the HS256 default) keeps its path, so a proxy that adds a path prefix still works;
    /// any other URL names the host only. An issuer that is no URL gives the route's path.
    /// </summary>
    internal static string JwksUri(string issuer, string basePath)
    {
        var jwks = basePath + "/" + AuthApi.Jwks.Route;
        var trimmed = issuer.TrimEnd('/');
        if (!Uri.TryCreate(trimmed, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            return jwks;
        }

        // The longest tail of the issuer's path (whole segments) that the base path starts with.
        var issuerPath = uri.AbsolutePath.TrimEnd('/');
        for (var start = issuerPath.IndexOf('/'); start >= 0; start = issuerPath.IndexOf('/', start + 1))
        {
            var tail = issuerPath[start..];
            if (basePath == tail || basePath.StartsWith(tail + "/", StringComparison.Ordinal))
            {
                return trimmed + jwks[tail.Length..];
            }
        }

        return uri.GetLeftPart(UriPartial.Authority) + jwks;
    }

    public Ok<OpenIdConfigurationResponse> Handle(HttpContext context)
    {
        ResponseDefaults.AllowPublicCaching(context.Response, JwksEndpoint.MaxAge);
        return TypedResults.Ok(document);
    }
}
