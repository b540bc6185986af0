using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Microsoft.IdentityModel.Tokens;

namespace Serverless.Testing;

/// <summary>One request to the rogue provider's authorization endpoint, and the code it answered with.</summary>
public sealed record RogueAuthorization(
    string Code,
    string? ClientId,
    string? RedirectUri,
    string? ResponseType,
    string? Scope,
    string? State,
    string? Nonce,
    string? CodeChallenge,
    string? CodeChallengeMethod);

/// <summary>
/// One request to the rogue provider's token endpoint. <see cref="AuthMethod"/> is <c>client_secret_basic</c> when the
/// client authenticated with an Authorization header, <c>client_secret_post</c> when the secret was in the form, else
/// <c>none</c>. <see cref="Authorization"/> is the authorization request that issued <see cref="Code"/>, if any.
/// </summary>
public sealed record RogueTokenRequest(
    string AuthMethod,
    string? GrantType,
    string? Code,
    string? ClientId,
    string? ClientSecret,
    string? CodeVerifier,
    string? RedirectUri,
    RogueAuthorization? Authorization)
{
    /// <summary>Whether the code verifier is the one behind the authorization request's S256 code challenge.</summary>
    public bool CodeVerifierMatches =>
        CodeVerifier is not null && Authorization?.CodeChallengeMethod == "S256"
        && Authorization.CodeChallenge == Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(CodeVerifier)));
}

/// <summary>
/// An OpenID Provider stub in this process (Kestrel on a loopback port) for what a real provider never sends: ID tokens
/// with a wrong <c>aud</c> or <c>iss</c>, <c>alg: none</c>, a key outside its JWKS, expired, another nonce. It serves
/// discovery (issuer = <see cref="Issuer"/>), <c>/jwks</c> (its RS256 and ES256 keys, and any added at run time),
/// <c>/authorize</c> (redirects straight back with a code: no login) and <c>/token</c>, whose ID token comes from
/// <see cref="IdTokenFor"/> (by default a valid one for the authorization's nonce). Requests are counted and recorded.
/// </summary>
public sealed class RogueOidcProvider : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly List<SigningCredentials> jwks = [];
    private readonly List<IDisposable> ownedKeys = [];
    private readonly ConcurrentDictionary<string, RogueAuthorization> authorizations = new();
    private readonly ConcurrentQueue<RogueAuthorization> authorizationLog = new();
    private readonly ConcurrentQueue<RogueTokenRequest> tokenRequests = new();
    private int discoveryRequests;
    private int jwksRequests;
    private int keysMade;

    private RogueOidcProvider(WebApplication app, string clientId)
    {
        this.app = app;
        ClientId = clientId;
        RsaKey = AddKey(SecurityAlgorithms.RsaSha256);
        EcKey = AddKey(SecurityAlgorithms.EcdsaSha256);
        ForeignKey = NewKey(SecurityAlgorithms.RsaSha256, "rogue-foreign");
        ForeignKeyWithKnownKid = NewKey(SecurityAlgorithms.RsaSha256, RsaKey.Key.KeyId);
        IdTokenFor = request => IdToken(Claims(request.Authorization?.Nonce));
    }

    /// <summary>Its base URL, <c>http://127.0.0.1:port</c> (no trailing slash): the issuer and the authority.</summary>
    public string Issuer { get; private set; } = "";

    /// <summary>The audience <see cref="Claims"/> puts in tokens by default.</summary>
    public string ClientId { get; }

    /// <summary>
    /// The discovery document it serves; change or remove entries to test the relying party's reading of it (e.g.
    /// <c>token_endpoint_auth_methods_supported</c> = <c>["client_secret_basic"]</c>, or another <c>issuer</c>).
    /// </summary>
    public ConcurrentDictionary<string, object> Discovery { get; } = new();

    /// <summary>The RS256 key in its JWKS: <see cref="IdToken"/> signs with it by default.</summary>
    public SigningCredentials RsaKey { get; }

    /// <summary>The ES256 key in its JWKS.</summary>
    public SigningCredentials EcKey { get; }

    /// <summary>An RS256 key with a kid the JWKS never lists.</summary>
    public SigningCredentials ForeignKey { get; }

    /// <summary>Another RS256 key under the kid of <see cref="RsaKey"/>: a signature that must not verify.</summary>
    public SigningCredentials ForeignKeyWithKnownKid { get; }

    /// <summary>The ID token of a token response; the default signs <see cref="Claims"/> for the authorization's nonce with <see cref="RsaKey"/>.</summary>
    public Func<RogueTokenRequest, string> IdTokenFor { get; set; }

    /// <summary>When set, the whole token response instead (an error, a body without <c>id_token</c>, a 500).</summary>
    public Func<RogueTokenRequest, IResult>? TokenResponse { get; set; }

    /// <summary>The clock of the default <c>iat</c> and <c>exp</c>.</summary>
    public TimeProvider Time { get; set; } = TimeProvider.System;

    public int DiscoveryRequests => Volatile.Read(ref discoveryRequests);

    public int JwksRequests => Volatile.Read(ref jwksRequests);

    public IReadOnlyList<RogueTokenRequest> TokenRequests => [.. tokenRequests];

    public IReadOnlyList<RogueAuthorization> Authorizations => [.. authorizationLog];

    /// <summary>The keys its JWKS lists now.</summary>
    public IReadOnlyList<SigningCredentials> Keys
    {
        get
        {
            lock (jwks)
            {
                return [.. jwks];
            }
        }
    }

    public static async Task<RogueOidcProvider> StartAsync(string clientId, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var rogue = new RogueOidcProvider(app, clientId);
        rogue.Map();
        try
        {
            rogue.Issuer = (await TestApi.StartAppAsync(app, cancellationToken)).GetLeftPart(UriPartial.Authority);
        }
        catch
        {
            await rogue.DisposeAsync();
            throw;
        }

        foreach (var (name, value) in new Dictionary<string, object>
        {
            ["issuer"] = rogue.Issuer,
            ["authorization_endpoint"] = rogue.Issuer + "/authorize",
            ["token_endpoint"] = rogue.Issuer + "/token",
            ["jwks_uri"] = rogue.Issuer + "/jwks",
            ["response_types_supported"] = new[] { "code" },
            ["subject_types_supported"] = new[] { "public" },
            ["scopes_supported"] = new[] { "openid", "email", "profile" },
            ["code_challenge_methods_supported"] = new[] { "S256" },
            ["token_endpoint_auth_methods_supported"] = new[] { "client_secret_post" },
            ["id_token_signing_alg_values_supported"] = new[] { "RS256", "ES256" },
        })
        {
            rogue.Discovery[name] = value;
        }

        return rogue;
    }

    /// <summary>A new key of <paramref name="algorithm"/> (RS256 or ES256) listed in the JWKS from now on: a kid the relying party has not cached.</summary>
    public SigningCredentials AddKey(string algorithm = SecurityAlgorithms.RsaSha256)
    {
        var key = NewKey(algorithm, $"rogue-{Interlocked.Increment(ref keysMade)}-{algorithm}");
        lock (jwks)
        {
            jwks.Add(key);
        }

        return key;
    }

    /// <summary>Takes a key out of the JWKS (rotation).</summary>
    public void RemoveKey(SigningCredentials key)
    {
        lock (jwks)
        {
            jwks.Remove(key);
        }
    }

    /// <summary>
    /// An ID token's claims, valid by default: <c>iss</c> = <see cref="Issuer"/>, <c>aud</c> = <see cref="ClientId"/>,
    /// <c>iat</c> now and <c>exp</c> in 5 minutes; <c>nonce</c>, <c>email</c> and <c>email_verified</c> only when not null.
    /// Change or remove entries of the result for anything else (an array <c>aud</c>, a missing <c>exp</c>).
    /// </summary>
    public Dictionary<string, object> Claims(
        string? nonce,
        string sub = "rogue-subject",
        string? email = "rogue@example.test",
        bool? emailVerified = true,
        string? aud = null,
        string? iss = null,
        DateTimeOffset? exp = null,
        DateTimeOffset? iat = null)
    {
        var now = Time.GetUtcNow();
        var claims = new Dictionary<string, object>
        {
            ["iss"] = iss ?? Issuer,
            ["sub"] = sub,
            ["aud"] = aud ?? ClientId,
            ["iat"] = (iat ?? now).ToUnixTimeSeconds(),
            ["exp"] = (exp ?? now.AddMinutes(5)).ToUnixTimeSeconds(),
        };
        if (nonce is not null)
        {
            claims["nonce"] = nonce;
        }

        if (email is not null)
        {
            claims["email"] = email;
        }

        if (emailVerified is { } verified)
        {
            claims["email_verified"] = verified;
        }

        return claims;
    }

    /// <summary>
    /// A compact JWS of <paramref name="claims"/> signed with <paramref name="key"/> (default <see cref="RsaKey"/>; a
    /// <see cref="SymmetricSecurityKey"/> gives an HS* token) with its kid in the header. <paramref name="alg"/> puts
    /// another <c>alg</c> in the header than the one the signature was made with.
    /// </summary>
    public string IdToken(IDictionary<string, object> claims, SigningCredentials? key = null, string? alg = null)
    {
        key ??= RsaKey;
        var header = new Dictionary<string, object> { ["alg"] = alg ?? key.Algorithm, ["typ"] = "JWT" };
        if (key.Key.KeyId is { } kid)
        {
            header["kid"] = kid;
        }

        var signingInput = Segment(header) + "." + Segment(claims);
        var factory = key.CryptoProviderFactory ?? key.Key.CryptoProviderFactory;
        var signer = factory.CreateForSigning(key.Key, key.Algorithm);
        try
        {
            return signingInput + "." + Base64UrlEncoder.Encode(signer.Sign(Encoding.ASCII.GetBytes(signingInput)));
        }
        finally
        {
            factory.ReleaseSignatureProvider(signer);
        }
    }

    /// <summary>An unsecured JWT (<c>alg: none</c>, empty signature).</summary>
    public static string UnsignedToken(IDictionary<string, object> claims) =>
        Segment(new Dictionary<string, object> { ["alg"] = "none", ["typ"] = "JWT" }) + "." + Segment(claims) + ".";

    /// <summary>
    /// What its authorization endpoint does, without HTTP: records the request and returns its redirect URI with a new
    /// <c>code</c> and the request's <c>state</c> (the browser-less way from the API's start redirect to its callback).
    /// </summary>
    public Uri SignIn(Uri authorizeUrl) => new(Authorize(QueryHelpers.ParseQuery(authorizeUrl.Query)));

    private string Authorize(Dictionary<string, StringValues> query)
    {
        string? Param(string name) => query.TryGetValue(name, out var value) ? value.ToString() : null;
        var redirectUri = Param("redirect_uri") ?? throw new InvalidOperationException("The authorization request has no redirect_uri.");
        var authorization = new RogueAuthorization(
            Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(24)),
            Param("client_id"),
            redirectUri,
            Param("response_type"),
            Param("scope"),
            Param("state"),
            Param("nonce"),
            Param("code_challenge"),
            Param("code_challenge_method"));
        authorizations[authorization.Code] = authorization;
        authorizationLog.Enqueue(authorization);
        var answer = new Dictionary<string, string?> { ["code"] = authorization.Code };
        if (authorization.State is not null)
        {
            answer["state"] = authorization.State;
        }

        return QueryHelpers.AddQueryString(redirectUri, answer);
    }

    private void Map()
    {
        app.MapGet("/.well-known/openid-configuration", () =>
        {
            Interlocked.Increment(ref discoveryRequests);
            return Results.Json(Discovery);
        });
        app.MapGet("/jwks", () =>
        {
            Interlocked.Increment(ref jwksRequests);
            return Results.Json(new { keys = Keys.Select(Jwk).ToList() });
        });
        app.MapGet("/authorize", (HttpRequest request) => Results.Redirect(Authorize(request.Query.ToDictionary())));
        app.MapPost("/token", async (HttpContext context) =>
        {
            context.Response.Headers.CacheControl = "no-store";
            var request = await ReadTokenRequestAsync(context.Request);
            tokenRequests.Enqueue(request);
            return TokenResponse is { } respond
                ? respond(request)
                : Results.Json(new
                {
                    access_token = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(24)),
                    token_type = "Bearer",
                    expires_in = 300,
                    id_token = IdTokenFor(request),
                });
        });
    }

    private async Task<RogueTokenRequest> ReadTokenRequestAsync(HttpRequest request)
    {
        var form = request.HasFormContentType ? await request.ReadFormAsync() : FormCollection.Empty;
        string? Field(string name) => form.TryGetValue(name, out var value) ? value.ToString() : null;

        var (method, clientId, secret) = ("none", Field("client_id"), Field("client_secret"));
        if (secret is not null)
        {
            method = "client_secret_post";
        }

        // client_secret_basic: both halves form-urlencoded before base64 (RFC 6749, 2.3.1).
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(authorization["Basic ".Length..].Trim()));
            var colon = pair.IndexOf(':', StringComparison.Ordinal);
            (method, clientId, secret) = ("client_secret_basic", Uri.UnescapeDataString(pair[..colon].Replace('+', ' ')), Uri.UnescapeDataString(pair[(colon + 1)..].Replace('+', ' ')));
        }

        var code = Field("code");
        return new RogueTokenRequest(
            method,
            Field("grant_type"),
            code,
            clientId,
            secret,
            Field("code_verifier"),
            Field("redirect_uri"),
            code is not null && authorizations.TryGetValue(code, out var issuedBy) ? issuedBy : null);
    }

    private SigningCredentials NewKey(string algorithm, string kid)
    {
        SigningCredentials key = algorithm switch
        {
            SecurityAlgorithms.RsaSha256 => new(new RsaSecurityKey(Own(RSA.Create(2048))) { KeyId = kid }, algorithm),
            SecurityAlgorithms.EcdsaSha256 => new(new ECDsaSecurityKey(Own(ECDsa.Create(ECCurve.NamedCurves.nistP256))) { KeyId = kid }, algorithm),
            _ => throw new ArgumentException($"Keys are RS256 or ES256, not {algorithm}.", nameof(algorithm)),
        };
        return key;
    }

    private T Own<T>(T key) where T : IDisposable
    {
        lock (ownedKeys)
        {
            ownedKeys.Add(key);
        }

        return key;
    }

    private static Dictionary<string, string> Jwk(SigningCredentials key) => key.Key switch
    {
        RsaSecurityKey rsa when rsa.Rsa.ExportParameters(false) is var p => new()
        {
            ["kty"] = "RSA", ["use"] = "sig", ["alg"] = key.Algorithm, ["kid"] = rsa.KeyId,
            ["n"] = Base64UrlEncoder.Encode(p.Modulus), ["e"] = Base64UrlEncoder.Encode(p.Exponent),
        },
        ECDsaSecurityKey ec when ec.ECDsa.ExportParameters(false) is var p => new()
        {
            ["kty"] = "EC", ["use"] = "sig", ["alg"] = key.Algorithm, ["kid"] = ec.KeyId, ["crv"] = "P-256",
            ["x"] = Base64UrlEncoder.Encode(p.Q.X), ["y"] = Base64UrlEncoder.Encode(p.Q.Y),
        },
        _ => throw new InvalidOperationException($"No JWK for a {key.Key.GetType().Name}."),
    };

    private static string Segment<T>(T value) => Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(value));

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        lock (ownedKeys)
        {
            ownedKeys.ForEach(k => k.Dispose());
        }
    }
}
