namespace Serverless.Auth;

/// <summary>
/// What docs/settings.md says about an options property beyond its XML summary (the summary is the setting's
/// description; <c>npm run docs</c> writes the table, a test fails when it is stale). Only where the initial value of the
/// property does not tell the truth, or the setting is not named after its section and property.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
internal sealed class SettingAttribute : Attribute
{
    /// <summary>The default column, as markdown, when the initial value does not say it (computed, applied elsewhere, or required).</summary>
    public string? Default { get; set; }

    /// <summary>The setting's name (environment-variable form) when it is not the section's name and the property's.</summary>
    public string? Name { get; set; }
}

/// <summary>
/// The settings that are no property of an options class bound to configuration: read by a host, a sample or a
/// trigger directly, or an older name that is only read to be refused. docs/settings.md lists them with the others;
/// this is the one place their descriptions live.
/// </summary>
internal static class SettingsOutsideOptions
{
    /// <summary>One setting: the group (a configuration section) it is listed under, its name, default and description (markdown).</summary>
    internal sealed record Setting(string Group, string Name, string Default, string Description);

    internal static readonly IReadOnlyList<Setting> All =
    [
        new("Auth:Storage", "Auth__Storage__EmailQueue", "—",
            "The mail queue's name in releases before `AUTH_EMAIL_QUEUE`; only read to refuse a disagreement: when it names another queue than `AUTH_EMAIL_QUEUE`, start-up fails. Remove it."),
        new("Host", "Host.CORS", "—",
            "In `local.settings.json` → `Host` (not `Values`): the origins allowed to call the API cross-origin (comma-separated), for `func start` and the standalone host (`Host__CORS` in its environment). `*` (with or without credentials), a path, a trailing slash or dot is refused at start-up. In Azure, CORS is platform configuration from Bicep (`allowedOrigins`)."),
        new("Host", "Host.CORSCredentials", "`false`",
            "In `local.settings.json` → `Host`: `true` lets the browser send and receive cookies cross-origin (`Access-Control-Allow-Credentials`), which a frontend on another origin needs. In Azure, Bicep sets `supportCredentials`."),
        new("Standalone", "Standalone__ForwardedHeadersProxies", "empty",
            "Standalone host only: the proxies (IPs or CIDRs, comma-separated) whose `X-Forwarded-For` / `-Proto` / `-Host` / `-Prefix` it applies, one hop, before any endpoint runs, the way the Functions worker applies the ones its host sets. Empty: nothing is applied, the TCP peer is the client. An entry that is no IP address or CIDR range is refused. See [the security model](security-model.md) for how it and `Auth__Throttling__TrustedProxies` decide the client address."),
        new("ApiReference", "ApiReference__Enabled", "`false`",
            "Standalone host only: serve the OpenAPI document at `/openapi/v1.json` and the API reference page at `/scalar` (`npm start` turns it on); off, both answer 404, so a deployment advertises neither."),
        new("Samples", "Samples__NotesTable", "`Notes`",
            "The sample protected API's table (`GET /api/me/notes`, see [using the library](library.md)); created on first use against a connection string, by Bicep in Azure."),
    ];
}
