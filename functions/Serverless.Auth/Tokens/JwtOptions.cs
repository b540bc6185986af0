using Microsoft.Extensions.Options;

namespace Serverless.Auth.Tokens;

/// <summary>Settings under <c>Auth__Jwt__*</c>.</summary>
public sealed class JwtOptions
{
    /// <summary>The configuration section these settings bind to (<c>Auth__Jwt__*</c> environment variables).</summary>
    public const string Section = "Auth:Jwt";

    /// <summary><c>iss</c> of every token, and what verification requires (the auth routes' public base URL when ES256 keys are published).</summary>
    public string Issuer { get; set; } = "";
    /// <summary><c>aud</c> of every token, and what verification requires.</summary>
    public string Audience { get; set; } = "";

    /// <summary>One base64 HMAC key (32+ bytes). Its key id is derived from the key.</summary>
    public string? SigningKey { get; set; }

    /// <summary>
    /// Rotation form: <c>id:base64key</c> entries separated by <c>;</c>, newest first. The first signs,
    /// all validate. Exclusive with <see cref="SigningKey"/>.
    /// </summary>
    public string? SigningKeys { get; set; }

    /// <summary>
    /// ES256 (recommended): one or more concatenated PKCS#8 <c>-----BEGIN PRIVATE KEY-----</c> blocks,
    /// P-256 keys. The first signs; all are published (JWKS) and verify. HMAC keys set next to it verify only.
    /// </summary>
    public string? SigningKeysPem { get; set; }

    /// <summary>ES256 keys (same form) that are published and verify but never sign: a key before it signs, or after.</summary>
    public string? PublishedKeysPem { get; set; }

    /// <summary>Access-token lifetime (= access cookie Max-Age). Default 900 (15 minutes): refresh keeps the session going.</summary>
    public int? LifetimeSeconds { get; set; }

    /// <summary>The older form of <see cref="LifetimeSeconds"/>, still accepted; never both.</summary>
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
