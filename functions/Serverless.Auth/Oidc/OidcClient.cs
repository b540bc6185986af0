using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Serverless.Auth.Oidc;

/// <summary>Who the provider says signed in, from a validated ID token.</summary>
/// <param name="EmailVerified">The token's <c>email_verified</c> (false when absent).</param>
/// <param name="Amr">The provider's own <c>amr</c>, recorded (logged) only: never trusted as a second factor here.</param>
internal sealed record ProviderIdentity(string Subject, string? Email, bool EmailVerified, IReadOnlyList<string> Amr);

/// <summary>Why a provider step failed: <see cref="Code"/> goes back to the frontend (<c>returnTo?error=</c>), the reason to the log.</summary>
internal sealed class OidcFailure(string code, string reason) : Exception(reason)
{
    public string Code { get; } = code;
}

/// <summary>
/// The relying party's side of the code flow, for every configured provider: discovery (cached; the JWKS fetched again
/// when a token names a key it does not have), the authorization URL, the code exchange (client secret, PKCE verifier)
/// and the ID token's validation: signature with the provider's keys, an algorithm allow-list (asymmetric only: never
/// <c>none</c> or HS*), <c>iss</c> (per tenant for Entra ID's multi-tenant authorities), <c>aud</c> (and <c>azp</c>
/// with several audiences), <c>exp</c>, <c>iat</c>, <c>nonce</c>. Built on Microsoft.IdentityModel (discovery model,
/// JWKS, JWT validation); the flow itself is this file.
/// </summary>
internal sealed partial class OidcClient : IDisposable
{
    /// <summary>Discovery is fetched again after this long (providers rotate keys with overlap, and announce new ones in advance).</summary>
    private static readonly TimeSpan MetadataLifetime = TimeSpan.FromHours(12);

    /// <summary>A token naming an unknown key fetches the JWKS again, at most this often per provider.</summary>
    internal static readonly TimeSpan MinRefreshInterval = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(2);

    /// <summary>An ID token older than this is refused even within its lifetime (it was minted for this sign-in, moments ago).</summary>
    private static readonly TimeSpan MaxTokenAge = TimeSpan.FromMinutes(10);

    private const int MaxResponseBytes = 256 * 1024;

    private static readonly string[] AllowedAlgorithms =
    [
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
    ];

    private readonly Dictionary<string, OidcProvider> providers;
    private readonly Dictionary<string, ProviderMetadata> metadata = new(StringComparer.Ordinal);
    private readonly HttpClient http;
    private readonly JsonWebTokenHandler handler = new() { MapInboundClaims = false };
    private readonly TimeProvider time;
    private readonly ILogger<OidcClient> logger;

    public OidcClient(IOptions<OidcOptions> options, TimeProvider time, ILogger<OidcClient> logger)
    {
        providers = options.Value.Resolved.ToDictionary(p => p.Name, StringComparer.Ordinal);
        foreach (var name in providers.Keys)
        {
            metadata[name] = new ProviderMetadata();
        }

        this.time = time;
        this.logger = logger;
        http = CreateHttpClient(MaxResponseBytes);
    }

    /// <summary>
    /// The client for an issuer's documents and endpoints (a provider's, the admin issuer's): calls happen inside a
    /// request, so they are bounded in time and size, with no cookies and no redirects followed.
    /// </summary>
    internal static HttpClient CreateHttpClient(int maxResponseBytes) =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            Timeout = TimeSpan.FromSeconds(10),
            MaxResponseContentBufferSize = maxResponseBytes,
        };

    public IReadOnlyCollection<OidcProvider> Providers => providers.Values;

    public OidcProvider? Find(string name) => providers.GetValueOrDefault(name);

    /// <summary>The provider's authorization URL for one sign-in.</summary>
    public async Task<string> AuthorizationUrlAsync(OidcProvider provider, string redirectUri, string state, string nonce, string codeVerifier, CancellationToken cancellationToken)
    {
        var configuration = await MetadataAsync(provider, refresh: false, cancellationToken);
        var query = new Dictionary<string, string>
        {
            ["response_type"] = "code",
            ["client_id"] = provider.ClientId,
            ["redirect_uri"] = redirectUri,
            ["scope"] = provider.Scopes,
            ["state"] = state,
            ["nonce"] = nonce,
            ["code_challenge"] = OidcTickets.ChallengeOf(codeVerifier),
            ["code_challenge_method"] = "S256",
        };
        var endpoint = configuration.AuthorizationEndpoint;
        var separator = endpoint.Contains('?', StringComparison.Ordinal) ? "&" : "?";
        return endpoint + separator + string.Join('&', query.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)));
    }

    /// <summary>Exchanges the code at the token endpoint and validates the ID token it answers with.</summary>
    /// <exception cref="OidcFailure">The provider refused, was unreachable, or its ID token did not validate.</exception>
    public async Task<ProviderIdentity> RedeemAsync(OidcProvider provider, string code, string redirectUri, string codeVerifier, string nonce, CancellationToken cancellationToken)
    {
        var configuration = await MetadataAsync(provider, refresh: false, cancellationToken);
        var idToken = await ExchangeAsync(provider, configuration, code, redirectUri, codeVerifier, cancellationToken);
        return await ValidateAsync(provider, idToken, nonce, cancellationToken);
    }

    /// <summary>The ID token's checks (public for the tests that hand it forged tokens through a stub provider).</summary>
    internal async Task<ProviderIdentity> ValidateAsync(OidcProvider provider, string idToken, string nonce, CancellationToken cancellationToken)
    {
        JsonWebToken token;
        try
        {
            token = new JsonWebToken(idToken);
        }
        catch (ArgumentException)
        {
            throw new OidcFailure("invalid_id_token", "the ID token is not a JWT");
        }

        var configuration = await MetadataAsync(provider, refresh: false, cancellationToken);
        if (token.Kid is { Length: > 0 } kid && !configuration.SigningKeys.Any(k => k.KeyId == kid))
        {
            // A key the provider started using since the last fetch (rotation): fetch again, at most every few seconds.
            configuration = await MetadataAsync(provider, refresh: true, cancellationToken);
        }

        var result = await handler.ValidateTokenAsync(idToken, Parameters(provider, configuration, token));
        if (!result.IsValid)
        {
            throw new OidcFailure("invalid_id_token", $"the ID token did not validate: {result.Exception?.GetType().Name}: {result.Exception?.Message}");
        }

        var claims = (JsonWebToken)result.SecurityToken;
        var now = time.GetUtcNow();
        if (!claims.TryGetPayloadValue<long>("iat", out var iat) || DateTimeOffset.FromUnixTimeSeconds(iat) > now + ClockSkew || DateTimeOffset.FromUnixTimeSeconds(iat) < now - MaxTokenAge)
        {
            throw new OidcFailure("invalid_id_token", "the ID token has no iat, or one in the future or too far in the past");
        }

        if (!claims.TryGetPayloadValue<string>("nonce", out var tokenNonce)
            || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(tokenNonce ?? ""), Encoding.UTF8.GetBytes(nonce)))
        {
            throw new OidcFailure("invalid_id_token", "the ID token's nonce is not this sign-in's");
        }

        var audiences = claims.Audiences.ToArray();
        if (audiences.Length > 1 && (!claims.TryGetPayloadValue<string>("azp", out var azp) || azp != provider.ClientId))
        {
            throw new OidcFailure("invalid_id_token", "the ID token has several audiences and its azp is not this client");
        }

        if (claims.Subject is not { Length: > 0 and <= 255 } subject)
        {
            throw new OidcFailure("invalid_id_token", "the ID token has no usable sub");
        }

        var email = claims.TryGetPayloadValue<string>("email", out var e) && !string.IsNullOrWhiteSpace(e) ? e : null;
        var verified = (claims.TryGetPayloadValue<bool>("email_verified", out var v) && v)
            || (claims.TryGetPayloadValue<string>("email_verified", out var s) && s == "true");
        var amr = claims.TryGetPayloadValue<string[]>("amr", out var methods) ? methods : [];
        return new ProviderIdentity(subject, email, verified, amr ?? []);
    }

    private TokenValidationParameters Parameters(OidcProvider provider, OpenIdConnectConfiguration configuration, JsonWebToken token)
    {
        return new TokenValidationParameters
        {
            ValidIssuer = ExpectedIssuer(configuration.Issuer, token)
                ?? throw new OidcFailure("invalid_id_token", "the ID token of a multi-tenant authority has no tenant id (tid)"),
            ValidAudience = provider.ClientId,
            IssuerSigningKeys = configuration.SigningKeys,
            ValidAlgorithms = AllowedAlgorithms,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateIssuerSigningKey = true,
            ValidateLifetime = true,
            ClockSkew = ClockSkew,
            // On this service's clock (tests move it); the skew is applied to now, which never overflows, not to the token's times.
            LifetimeValidator = (notBefore, expires, _, _) =>
                expires is { } exp && time.GetUtcNow().UtcDateTime - ClockSkew < exp
                && (notBefore is not { } nbf || nbf <= time.GetUtcNow().UtcDateTime + ClockSkew),
        };
    }

    /// <summary>
    /// The issuer the token must name: the discovery document's, or for Entra ID's common/organizations authorities (an
    /// issuer template with <c>{tenantid}</c>) the user's tenant's, which the token's <c>tid</c> (a GUID) says; null without one.
    /// </summary>
    internal static string? ExpectedIssuer(string discoveryIssuer, JsonWebToken token) =>
        !discoveryIssuer.Contains("{tenantid}", StringComparison.Ordinal) ? discoveryIssuer
        : token.TryGetPayloadValue<string>("tid", out var tid) && Guid.TryParseExact(tid, "D", out _) ? discoveryIssuer.Replace("{tenantid}", tid, StringComparison.Ordinal)
        : null;

    private async Task<string> ExchangeAsync(
        OidcProvider provider, OpenIdConnectConfiguration configuration, string code, string redirectUri, string codeVerifier, CancellationToken cancellationToken)
    {
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = redirectUri,
            ["code_verifier"] = codeVerifier,
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, configuration.TokenEndpoint);
        // client_secret_post where the provider lists it (Entra ID, Google); else HTTP Basic, RFC 6749's default.
        var methods = configuration.TokenEndpointAuthMethodsSupported;
        if (methods.Count == 0 || !methods.Contains("client_secret_post"))
        {
            var basic = Uri.EscapeDataString(provider.ClientId) + ":" + Uri.EscapeDataString(provider.ClientSecret);
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(basic)));
        }
        else
        {
            form["client_id"] = provider.ClientId;
            form["client_secret"] = provider.ClientSecret;
        }

        request.Content = new FormUrlEncodedContent(form);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await SendAsync(provider, request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new OidcFailure("provider_error", $"the token endpoint answered {(int)response.StatusCode}");
        }

        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("id_token", out var idToken) && idToken.ValueKind == JsonValueKind.String && idToken.GetString() is { Length: > 0 } value
                ? value
                : throw new OidcFailure("provider_error", "the token endpoint's answer has no id_token");
        }
        catch (JsonException)
        {
            throw new OidcFailure("provider_error", "the token endpoint's answer is not JSON");
        }
    }

    private async Task<HttpResponseMessage> SendAsync(OidcProvider provider, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await http.SendAsync(request, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            LogUnreachable(logger, provider.Name, e.GetType().Name);
            throw new OidcFailure("provider_unavailable", $"the provider {provider.Name} could not be reached");
        }
    }

    /// <summary>The provider's discovery document and keys: cached, fetched again when old or (<paramref name="refresh"/>) for an unknown key.</summary>
    private async Task<OpenIdConnectConfiguration> MetadataAsync(OidcProvider provider, bool refresh, CancellationToken cancellationToken)
    {
        var cache = metadata[provider.Name];
        var now = time.GetUtcNow();
        if (cache.Current is { } current && !(refresh && now - cache.FetchedAt >= MinRefreshInterval) && now - cache.FetchedAt < MetadataLifetime)
        {
            return current;
        }

        await cache.Lock.WaitAsync(cancellationToken);
        try
        {
            // Another request may have fetched it while this one waited.
            if (cache.Current is { } fetched && (now = time.GetUtcNow()) - cache.FetchedAt < (refresh ? MinRefreshInterval : MetadataLifetime))
            {
                return fetched;
            }

            var address = provider.Authority + "/.well-known/openid-configuration";
            var retriever = new HttpDocumentRetriever(http) { RequireHttps = !new Uri(provider.Authority).IsLoopback };
            OpenIdConnectConfiguration configuration;
            try
            {
                configuration = await OpenIdConnectConfigurationRetriever.GetAsync(address, retriever, cancellationToken);
            }
            catch (Exception e) when (e is IOException or HttpRequestException or InvalidOperationException or ArgumentException or JsonException && !cancellationToken.IsCancellationRequested)
            {
                LogUnreachable(logger, provider.Name, e.GetType().Name);
                // A provider briefly unreachable keeps signing in with the keys it had.
                return cache.Current ?? throw new OidcFailure("provider_unavailable", $"the discovery document of {provider.Name} could not be read");
            }

            // OpenID Connect Discovery 1.0 §4.3: the issuer must be the authority the document was asked of (a template for Entra ID's multi-tenant ones).
            if (!IsIssuerOf(provider.Authority, configuration.Issuer) || string.IsNullOrEmpty(configuration.AuthorizationEndpoint) || string.IsNullOrEmpty(configuration.TokenEndpoint))
            {
                throw new OidcFailure("provider_error", $"the discovery document of {provider.Name} names another issuer or lacks an endpoint");
            }

            cache.Current = configuration;
            cache.FetchedAt = time.GetUtcNow();
            return configuration;
        }
        finally
        {
            cache.Lock.Release();
        }
    }

    private static bool IsIssuerOf(string authority, string? issuer) =>
        issuer is not null
        && (issuer.TrimEnd('/') == authority
            || (issuer.Contains("{tenantid}", StringComparison.Ordinal) && authority.StartsWith("https://login.microsoftonline.com/", StringComparison.Ordinal)));

    public void Dispose() => http.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "OpenID provider {Provider} could not be reached ({Failure})")]
    private static partial void LogUnreachable(ILogger logger, string provider, string failure);

    private sealed class ProviderMetadata
    {
        public SemaphoreSlim Lock { get; } = new(1, 1);

        public OpenIdConnectConfiguration? Current { get; set; }

        public DateTimeOffset FetchedAt { get; set; }
    }
}
