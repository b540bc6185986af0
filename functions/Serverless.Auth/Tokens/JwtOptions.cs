using Microsoft.Extensions.Options;

namespace Serverless.Auth.Tokens;

/// <summary>
/// Settings under <c>Auth__Jwt__*</c>: the access tokens' issuer, audience, lifetime and signing keys, ES256
/// (recommended: its public keys are published for other APIs) or HS256.
/// </summary>
public sealed class JwtOptions
{
    /// <summary>The configuration section these settings bind to (<c>Auth__Jwt__*</c> environment variables).</summary>
    public const string Section = "Auth:Jwt";

    /// <summary>
    /// <c>iss</c> of every token, and what verification requires. With ES256 keys it must be an absolute http(s) URL: use
    /// the public base of the auth routes, <c>https://&lt;host&gt;/api/auth</c>, so that
    /// <c>issuer + "/.well-known/openid-configuration"</c> is the discovery route
    /// (<see href="security-model.md">verify our tokens in your own API</see>).
    /// </summary>
    [Setting(Default = "— (required)")]
    public string Issuer { get; set; } = "";
    /// <summary><c>aud</c> of every token, and what verification requires (e.g. the name or URL of the frontend).</summary>
    [Setting(Default = "— (required)")]
    public string Audience { get; set; } = "";

    /// <summary>
    /// HS256 signing: one base64 HMAC key, at least 32 random bytes (<c>openssl rand -base64 32</c>). Its key id is derived
    /// from it. A low-entropy key (a byte or short pattern repeated) is refused; the sample key of
    /// <c>local.settings.sample.json</c> too, unless <c>ASPNETCORE_ENVIRONMENT</c> (else
    /// <c>AZURE_FUNCTIONS_ENVIRONMENT</c>) is <c>Development</c>: <c>npm start</c> and the sample settings set it; never in
    /// Azure.
    /// </summary>
    [Setting(Default = "— (required unless `Auth__Jwt__SigningKeysPem`)")]
    public string? SigningKey { get; set; }

    /// <summary>
    /// The rotation form instead of <see cref="SigningKey"/>: <c>id:base64key;id:base64key</c>, newest first. The first
    /// signs, all verify; a bare <c>base64key</c> keeps its derived id (<see href="security-model.md">key rotation</see>).
    /// </summary>
    public string? SigningKeys { get; set; }

    /// <summary>
    /// ES256 signing: one or more concatenated PKCS#8 <c>-----BEGIN PRIVATE KEY-----</c> blocks, ECDSA P-256
    /// (<c>openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256</c>). The first signs; all are published in the
    /// JWKS and verify. <c>kid</c> = RFC 7638 JWK thumbprint. Refused at start-up, naming the setting: a block that is not
    /// PKCS#8 <c>PRIVATE KEY</c> (SEC1 <c>EC PRIVATE KEY</c>: convert with <c>openssl pkcs8 -topk8 -nocrypt</c>;
    /// <c>PUBLIC KEY</c>, encrypted keys), text between blocks, a malformed key, any curve but P-256, any RSA key (whatever
    /// its size: ES256 is the one asymmetric algorithm), the same key listed twice, an unresolved Key Vault reference.
    /// When set, <see cref="SigningKey"/> / <see cref="SigningKeys"/> may stay next to it and verify only (HS256 migration).
    /// </summary>
    [Setting(Default = "— (recommended)")]
    public string? SigningKeysPem { get; set; }

    /// <summary>
    /// ES256 keys, same form as <see cref="SigningKeysPem"/>, that are published and accepted but never sign: a key before it
    /// signs, or after. Needs a signing key next to it: with <see cref="SigningKey"/> / <see cref="SigningKeys"/> alone it
    /// publishes the ES256 key while HS256 still signs (the first step of a migration).
    /// </summary>
    public string? PublishedKeysPem { get; set; }

    /// <summary>
    /// Access-token lifetime in seconds (1-86400) = the access cookie's <c>Max-Age</c>; 15 minutes by default: refresh keeps
    /// the session going. The older <see cref="LifetimeMinutes"/> is still accepted; both set is refused.
    /// </summary>
    [Setting(Default = "`900`")]
    public int? LifetimeSeconds { get; set; }

    /// <summary>The older form of <see cref="LifetimeSeconds"/>, in minutes (1-1440), still accepted; both set is refused.</summary>
    public int? LifetimeMinutes { get; set; }

    /// <summary>The access token's lifetime when none is set: 15 minutes.</summary>
    public const int DefaultLifetimeSeconds = 900;

    internal TimeSpan Lifetime => TimeSpan.FromSeconds(LifetimeSeconds ?? (LifetimeMinutes * 60) ?? DefaultLifetimeSeconds);

    private KeyParse? keys;

    /// <summary>
    /// The key set parsed from the signing-key settings, once per options
    /// instance: the validator reports <see cref="KeyParse.Error"/>, the token service signs with the set.
    /// </summary>
    internal KeyParse Keys => keys ??= SigningKeySet.TryCreate(this, out var set, out var error) ? new(set, null) : new(null, error);

    internal sealed record KeyParse(SigningKeySet? Set, string? Error);
}

internal sealed class JwtOptionsValidator : IValidateOptions<JwtOptions>
{
    private readonly DeploymentEnvironment environment;

    public JwtOptionsValidator()
        : this(DeploymentEnvironment.Current)
    {
    }

    internal JwtOptionsValidator(bool runningInAzure, bool development = false)
        : this(new DeploymentEnvironment(runningInAzure, development && !runningInAzure))
    {
    }

    internal JwtOptionsValidator(DeploymentEnvironment environment) => this.environment = environment;

    public ValidateOptionsResult Validate(string? name, JwtOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Issuer))
        {
            failures.Add("Auth__Jwt__Issuer is required (e.g. the API's base URL).");
        }

        if (string.IsNullOrWhiteSpace(options.Audience))
        {
            failures.Add("Auth__Jwt__Audience is required (e.g. the name or URL of the frontend).");
        }

        if (options.LifetimeSeconds is not null && options.LifetimeMinutes is not null)
        {
            failures.Add("Auth__Jwt__LifetimeSeconds and Auth__Jwt__LifetimeMinutes are both set: keep Auth__Jwt__LifetimeSeconds only.");
        }
        else if (options.LifetimeSeconds is < 1 or > 24 * 3600)
        {
            failures.Add("Auth__Jwt__LifetimeSeconds must be between 1 and 86400.");
        }
        else if (options.LifetimeMinutes is < 1 or > 24 * 60)
        {
            failures.Add("Auth__Jwt__LifetimeMinutes must be between 1 and 1440 (prefer Auth__Jwt__LifetimeSeconds).");
        }

        if (options.Keys.Error is { } keyError)
        {
            failures.Add(keyError);
        }
        else if (options.Keys.Set!.PublishedKeys.Count > 0 && !IsPublicBaseUrl(options.Issuer))
        {
            failures.Add("Auth__Jwt__Issuer must be an absolute http(s) URL once ES256 keys are published (Auth__Jwt__SigningKeysPem / Auth__Jwt__PublishedKeysPem): verifiers fetch issuer + \"/.well-known/openid-configuration\". Use the auth routes' public base, https://<host>/api/auth.");
        }
        else if (!environment.IsDevelopment && options.Keys.Set!.IsLocalOnlySample)
        {
            var setting = string.IsNullOrWhiteSpace(options.SigningKeys) ? "Auth__Jwt__SigningKey" : "Auth__Jwt__SigningKeys";
            failures.Add($"{setting} holds the local-only key from local.settings.sample.json: anyone can forge tokens with it. Set a new key (openssl rand -base64 32); the sample key is accepted only when ASPNETCORE_ENVIRONMENT (or AZURE_FUNCTIONS_ENVIRONMENT) is Development, never in Azure.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsPublicBaseUrl(string issuer) =>
        Uri.TryCreate(issuer, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
        && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment);
}
