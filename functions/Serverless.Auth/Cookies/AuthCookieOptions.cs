using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Serverless.Auth.Cookies;

/// <summary>Settings under <c>Auth__Cookie__*</c>. Defaults are the safe ones: Secure, SameSite=Lax.</summary>
public sealed class AuthCookieOptions
{
    /// <summary>The configuration section these settings bind to (<c>Auth__Cookie__*</c> environment variables).</summary>
    public const string Section = "Auth:Cookie";

    /// <summary>Base name; it gets the <c>__Host-</c> prefix when Secure and host-only.</summary>
    public string Name { get; set; } = "auth";

    /// <summary>Base name of the refresh-token cookie; it gets the <c>__Secure-</c> prefix when Secure.</summary>
    public string RefreshName { get; set; } = "refresh";

    /// <summary>Base name of the device cookie (login backoff); it gets the <c>__Secure-</c> prefix when Secure.</summary>
    public string DeviceName { get; set; } = "device";
    /// <summary>Secure cookies (default true). Only a local http setup may turn it off; SameSite=None requires it.</summary>
    public bool Secure { get; set; } = true;
    /// <summary>SameSite of every auth cookie (default Lax). None for a frontend on another site, with Secure and the origin in the allowed origins.</summary>
    public SameSiteMode SameSite { get; set; } = SameSiteMode.Lax;

    /// <summary>CHIPS: lets browsers that block third-party cookies keep it, partitioned per top-level site.</summary>
    public bool Partitioned { get; set; }

    /// <summary>Empty: host-only cookie (preferred). Set it to share the cookie with sibling subdomains.</summary>
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
