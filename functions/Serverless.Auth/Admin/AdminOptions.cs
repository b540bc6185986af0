using Microsoft.Extensions.Options;
using Serverless.Auth.Oidc;
using Serverless.Auth.Tokens;

namespace Serverless.Auth.Admin;

/// <summary>
/// Settings under <c>Auth__Admin__*</c>: who may call the admin API. A bearer access token from the configured
/// authority (OpenID discovery and a JWKS: Entra ID, or any OpenID provider), for the configured audience, with the
/// configured role in its <c>roles</c> claim. No authority: the admin API is off (its routes answer 404).
/// </summary>
public sealed class AdminOptions
{
    /// <summary>The configuration section: <c>Auth:Admin</c>.</summary>
    public const string Section = "Auth:Admin";

    /// <summary>
    /// The OpenID authority of the <see href="security-events-and-admin.md">admin API</see>'s token issuer (discovery at
    /// <c>&lt;authority&gt;/.well-known/openid-configuration</c>), e.g.
    /// <c>https://login.microsoftonline.com/&lt;tenant id&gt;/v2.0</c>; https (http only on loopback). Empty: the admin API is
    /// off and its routes answer 404. Refused at start-up: this service's own issuer (<c>Auth__Jwt__Issuer</c>), or an
    /// authority without <see cref="Audience"/>.
    /// </summary>
    [Setting(Default = "empty (admin API off)")]
    public string? Authority { get; set; }

    /// <summary>
    /// The exact <c>iss</c> values accepted, comma-separated (Entra ID v2: <c>https://login.microsoftonline.com/&lt;tenant
    /// id&gt;/v2.0</c>, v1: <c>https://sts.windows.net/&lt;tenant id&gt;/</c>); <c>Auth__Jwt__Issuer</c> among them is refused.
    /// </summary>
    [Setting(Default = "the discovery document's issuer")]
    public string? Issuer { get; set; }

    /// <summary>
    /// The <c>aud</c> values accepted, comma-separated (Entra ID: the app registration's client id for v2 tokens, its
    /// Application ID URI <c>api://&lt;client id&gt;</c> for v1).
    /// </summary>
    [Setting(Default = "— (required with `Authority`)")]
    public string? Audience { get; set; }

    /// <summary>The app role an admin token carries in its <c>roles</c> claim; not empty.</summary>
    public string Role { get; set; } = "Auth.Admin";

    internal bool Enabled => !string.IsNullOrWhiteSpace(Authority);

    internal string NormalizedAuthority => (Authority ?? "").Trim().TrimEnd('/');

    internal IReadOnlyList<string> Issuers => Split(Issuer);

    internal IReadOnlyList<string> Audiences => Split(Audience);

    private static string[] Split(string? value) => (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

internal sealed class AdminOptionsValidator(IOptions<JwtOptions> jwt) : IValidateOptions<AdminOptions>
{
    public ValidateOptionsResult Validate(string? name, AdminOptions options)
    {
        if (!options.Enabled)
        {
            return ValidateOptionsResult.Success;
        }

        var failures = new List<string>();
        var ownIssuer = jwt.Value.Issuer.Trim().TrimEnd('/');
        if (!OidcProvider.IsSecureUrl(options.NormalizedAuthority))
        {
            failures.Add($"Auth__Admin__Authority must be an https URL (http only on a loopback address, for a local issuer); got '{options.Authority}'.");
        }

        // The service's own tokens are user sessions: one of them must never pass as an admin's.
        if (string.Equals(options.NormalizedAuthority, ownIssuer, StringComparison.OrdinalIgnoreCase)
            || options.Issuers.Any(issuer => string.Equals(issuer.TrimEnd('/'), ownIssuer, StringComparison.OrdinalIgnoreCase)))
        {
            failures.Add("Auth__Admin__Authority and Auth__Admin__Issuer must not be this service's own issuer (Auth__Jwt__Issuer): admin tokens come from another issuer, such as Entra ID.");
        }

        if (options.Audiences.Count == 0)
        {
            failures.Add("Auth__Admin__Audience is required with Auth__Admin__Authority: the aud of admin tokens (Entra ID: the app registration's client id, or its Application ID URI for v1 tokens).");
        }

        if (string.IsNullOrWhiteSpace(options.Role))
        {
            failures.Add("Auth__Admin__Role must not be empty: the app role admin tokens carry in their roles claim (default Auth.Admin).");
        }

        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }
}
