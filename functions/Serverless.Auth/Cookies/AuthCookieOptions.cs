using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Serverless.Auth.Cookies;

/// <summary>Settings under <c>Auth__Cookie__*</c>. Defaults are the safe ones: Secure, SameSite=Lax.</summary>
public sealed class AuthCookieOptions
{
    /// <summary>The configuration section these settings bind to (<c>Auth__Cookie__*</c> environment variables).</summary>
    public const string Section = "Auth:Cookie";

    /// <summary>
    /// The access cookie's base name: it becomes <c>__Host-auth</c> automatically when <see cref="Secure"/> and no
    /// <see cref="Domain"/> (<c>__Secure-auth</c> with a domain). Letters, digits, <c>-</c>, <c>_</c> or
    /// <c>.</c>, not starting with <c>__</c>; the three cookie names must differ.
    /// </summary>
    public string Name { get; set; } = "auth";

    /// <summary>The refresh cookie's base name (<c>Path=/api/auth</c>); it becomes <c>__Secure-refresh</c> when <see cref="Secure"/>.</summary>
    public string RefreshName { get; set; } = "refresh";

    /// <summary>
    /// The base name of the login backoff's device cookie (<c>Path=/api/auth</c>, 180 days); it becomes
    /// <c>__Secure-device</c> when <see cref="Secure"/>.
    /// </summary>
    public string DeviceName { get; set; } = "device";
    /// <summary>Secure cookies. <c>false</c> only for plain-http local development: refused in Azure; <c>SameSite=None</c> and <see cref="Partitioned"/> require it.</summary>
    public bool Secure { get; set; } = true;
    /// <summary>
    /// SameSite of every auth cookie: <c>Strict</c>, <c>Lax</c> or <c>None</c>. <c>None</c> for a frontend on another site,
    /// with <see cref="Secure"/> (required) and the origin in <c>Auth__AllowedOrigins</c>
    /// (<see href="cookies-troubleshooting.md">when cookies are not stored or sent</see>).
    /// </summary>
    public SameSiteMode SameSite { get; set; } = SameSiteMode.Lax;

    /// <summary>
    /// CHIPS: lets browsers that block third-party cookies keep the cookies, partitioned per top-level site; needed for
    /// cross-site frontends there. Requires <see cref="Secure"/>.
    /// </summary>
    public bool Partitioned { get; set; }

    /// <summary>
    /// Empty: a host-only cookie (recommended). Set it to share the cookies with sibling subdomains. A public suffix
    /// (<c>com</c>, <c>co.uk</c>, <c>azurewebsites.net</c>; <see href="https://publicsuffix.org/">Public Suffix List</see>) is
    /// refused.
    /// </summary>
    public string? Domain { get; set; }
}

internal sealed class AuthCookieOptionsValidator : IValidateOptions<AuthCookieOptions>
{
    private readonly DeploymentEnvironment environment;

    public AuthCookieOptionsValidator()
        : this(DeploymentEnvironment.Current)
    {
    }

    internal AuthCookieOptionsValidator(DeploymentEnvironment environment) => this.environment = environment;

    public ValidateOptionsResult Validate(string? name, AuthCookieOptions options)
    {
        var failures = new List<string>();
        foreach (var (setting, value) in new[] { ("Auth__Cookie__Name", options.Name), ("Auth__Cookie__RefreshName", options.RefreshName), ("Auth__Cookie__DeviceName", options.DeviceName) })
        {
            if (string.IsNullOrWhiteSpace(value) || !value.All(IsTokenChar) || value.StartsWith("__", StringComparison.Ordinal))
            {
                failures.Add($"{setting} must be letters, digits, '-', '_' or '.', not starting with '__' (the __Host- / __Secure- prefix is added automatically).");
            }
        }

        if (new[] { options.Name, options.RefreshName, options.DeviceName }.Distinct(StringComparer.OrdinalIgnoreCase).Count() < 3)
        {
            failures.Add("Auth__Cookie__Name, Auth__Cookie__RefreshName and Auth__Cookie__DeviceName must differ.");
        }

        if (options.SameSite is not (SameSiteMode.Strict or SameSiteMode.Lax or SameSiteMode.None))
        {
            failures.Add("Auth__Cookie__SameSite must be Strict, Lax or None.");
        }

        if (options.SameSite == SameSiteMode.None && !options.Secure)
        {
            failures.Add("Auth__Cookie__SameSite=None requires Auth__Cookie__Secure=true: browsers drop SameSite=None cookies that are not Secure.");
        }

        if (options.Partitioned && !options.Secure)
        {
            failures.Add("Auth__Cookie__Partitioned=true requires Auth__Cookie__Secure=true: browsers drop Partitioned cookies that are not Secure.");
        }

        if (!options.Secure && environment.RunningInAzure)
        {
            failures.Add("Auth__Cookie__Secure=false is refused when running in Azure (WEBSITE_SITE_NAME is set): the cookie would also travel over plain http. Remove the setting (default true).");
        }

        if (!string.IsNullOrEmpty(options.Domain) && Uri.CheckHostName(options.Domain.TrimStart('.')) != UriHostNameType.Dns)
        {
            failures.Add("Auth__Cookie__Domain must be a host name such as example.com (or empty for a host-only cookie).");
        }
        else if (!string.IsNullOrEmpty(options.Domain) && PublicSuffixes.IsPublicSuffix(options.Domain))
        {
            failures.Add($"Auth__Cookie__Domain '{options.Domain}' is a public suffix (Public Suffix List) or no registrable domain: the cookie would be offered to every site under it, and browsers reject it. Use your own domain (example.com) or leave it empty for a host-only cookie.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsTokenChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.';
}
