using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Serverless.Auth.Oidc;

/// <summary>Social sign-in over OpenID Connect (<c>Auth__Oidc__*</c>). Off while no provider is configured.</summary>
public sealed partial class OidcOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Auth:Oidc";

    /// <summary>
    /// The API's public base URL (<c>https://host</c>, no path; http only on loopback) the redirect URIs are built on:
    /// provider <c>name</c>'s redirect URI is this + the auth base path + <c>/oidc/name/callback</c>. Required in Azure when
    /// a provider is configured (Bicep sets it to the Function App's URL); empty elsewhere: the request's own scheme and
    /// host.
    /// </summary>
    [Setting(Default = "the request's scheme and host")]
    public string? RedirectBaseUrl { get; set; }

    /// <summary>
    /// The providers by name (<c>Auth__Oidc__Providers__google__ClientId</c>): 1-32 lowercase letters and digits (no '-':
    /// App Service drops it from setting names, so the name, and the redirect URI, would differ from the one registered).
    /// <c>google</c> and <c>microsoft</c> have a default authority, display name and email trust.
    /// </summary>
    public Dictionary<string, OidcProviderOptions> Providers { get; set; } = new(StringComparer.Ordinal);

    private IReadOnlyList<OidcProvider>? resolved;

    /// <summary>The configured providers with their defaults applied, in name order.</summary>
    internal IReadOnlyList<OidcProvider> Resolved => resolved ??= [.. Providers.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => OidcProvider.From(p.Key, p.Value))];

    internal static bool IsValidName(string name) => NamePattern().IsMatch(name);

    [GeneratedRegex("^[a-z0-9]{1,32}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}

/// <summary>One provider's settings (<c>Auth__Oidc__Providers__&lt;name&gt;__*</c>).</summary>
public sealed class OidcProviderOptions
{
    /// <summary>
    /// A <see href="social-sign-in.md">social sign-in</see> provider's issuer URL, its discovery document under
    /// <c>/.well-known/openid-configuration</c>; https (http only on loopback). <c>&lt;name&gt;</c> is 1-32 lowercase letters
    /// and digits, part of the redirect URI.
    /// </summary>
    [Setting(Default = "google / microsoft: built in; others required")]
    public string? Authority { get; set; }

    /// <summary>The client id registered at the provider; it and <see cref="ClientSecret"/> are both required for a provider to exist.</summary>
    public string? ClientId { get; set; }

    /// <summary>The client secret registered at the provider (in Azure, a Key Vault reference). Required.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>Space-separated scopes; they must include <c>openid</c>.</summary>
    [Setting(Default = "`" + OidcProvider.DefaultScopes + "`")]
    public string? Scopes { get; set; }

    /// <summary>The button's label (<c>GET /api/auth/oidc/providers</c>), at most 64 characters.</summary>
    [Setting(Default = "Google, Microsoft, or the name")]
    public string? DisplayName { get; set; }

    /// <summary>
    /// Whether the provider's <c>email_verified</c> proves the address is the user's (then a new account's address is
    /// confirmed and claimed at once). Never for Entra ID: its <c>email</c> is not verified.
    /// </summary>
    [Setting(Default = "`true` for `google`, else `false`")]
    public bool? TrustEmail { get; set; }
}

/// <summary>A provider with its defaults applied.</summary>
internal sealed record OidcProvider(string Name, string DisplayName, string Authority, string ClientId, string ClientSecret, string Scopes, bool TrustEmail)
{
    public const string DefaultScopes = "openid email profile";

    private static readonly Dictionary<string, (string Authority, string DisplayName, bool TrustEmail)> BuiltIn = new(StringComparer.Ordinal)
    {
        ["google"] = ("https://accounts.google.com", "Google", true),
        // The multi-tenant endpoint: its issuer is per tenant ({tenantid}), checked against each token's tid.
        ["microsoft"] = ("https://login.microsoftonline.com/common/v2.0", "Microsoft", false),
    };

    public static OidcProvider From(string name, OidcProviderOptions options)
    {
        var builtIn = BuiltIn.GetValueOrDefault(name);
        return new OidcProvider(
            name,
            options.DisplayName is { Length: > 0 } display ? display.Trim() : builtIn.DisplayName ?? name,
            (options.Authority is { Length: > 0 } authority ? authority.Trim() : builtIn.Authority ?? "").TrimEnd('/'),
            options.ClientId?.Trim() ?? "",
            options.ClientSecret ?? "",
            options.Scopes is { Length: > 0 } scopes ? string.Join(' ', scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries)) : DefaultScopes,
            options.TrustEmail ?? builtIn.TrustEmail);
    }

    /// <summary>An https URL, or http on a loopback host (a local test provider).</summary>
    public static bool IsSecureUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri)
        && string.IsNullOrEmpty(uri.UserInfo)
        && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment)
        && (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback));
}

internal sealed class OidcOptionsValidator : IValidateOptions<OidcOptions>
{
    private readonly DeploymentEnvironment environment;

    public OidcOptionsValidator()
        : this(DeploymentEnvironment.Current)
    {
    }

    internal OidcOptionsValidator(DeploymentEnvironment environment) => this.environment = environment;

    public ValidateOptionsResult Validate(string? name, OidcOptions options)
    {
        var failures = new List<string>();
        foreach (var (key, settings) in options.Providers)
        {
            var prefix = $"Auth__Oidc__Providers__{key}__";
            if (!OidcOptions.IsValidName(key))
            {
                failures.Add($"Auth__Oidc__Providers__{key}: a provider name is 1-32 lowercase letters and digits (it is part of the redirect URI; App Service drops '-' from setting names).");
                continue;
            }

            var provider = OidcProvider.From(key, settings);
            if (provider.Authority.Length == 0)
            {
                failures.Add($"{prefix}Authority is required for a provider other than google or microsoft: the issuer URL its discovery document is under.");
            }
            else if (!OidcProvider.IsSecureUrl(provider.Authority))
            {
                failures.Add($"{prefix}Authority must be an https URL (http only on a loopback address, for a local test provider); got '{provider.Authority}'.");
            }

            if (provider.ClientId.Length == 0)
            {
                failures.Add($"{prefix}ClientId is required: the client id registered at the provider.");
            }

            if (string.IsNullOrWhiteSpace(provider.ClientSecret))
            {
                failures.Add($"{prefix}ClientSecret is required: the client secret registered at the provider (in Azure, a Key Vault reference).");
            }

            if (!provider.Scopes.Split(' ').Contains("openid", StringComparer.Ordinal))
            {
                failures.Add($"{prefix}Scopes must include openid; got '{provider.Scopes}'.");
            }

            if (provider.DisplayName.Length > 64 || provider.DisplayName.Any(char.IsControl))
            {
                failures.Add($"{prefix}DisplayName must be at most 64 characters without line breaks.");
            }
        }

        if (options.RedirectBaseUrl is { Length: > 0 } baseUrl)
        {
            if (!OidcProvider.IsSecureUrl(baseUrl) || new Uri(baseUrl).AbsolutePath != "/")
            {
                failures.Add($"Auth__Oidc__RedirectBaseUrl must be the API's public base URL, https://host[:port] with no path (http only on loopback); got '{baseUrl}'.");
            }
        }
        else if (environment.RunningInAzure && options.Providers.Count > 0)
        {
            failures.Add("Auth__Oidc__RedirectBaseUrl is required in Azure when a provider is configured: the Function App's https URL (Bicep sets it), so the redirect URI registered at the provider is the one sent.");
        }

        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }
}
