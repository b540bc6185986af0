using System.Net;
using Microsoft.Extensions.Options;
using Serverless.Auth.Cookies;
using Serverless.Auth.Http;

namespace Serverless.Auth.Passkeys;

/// <summary>Passkeys (<c>Auth__Passkeys__*</c>). Off while <see cref="RpId"/> is empty.</summary>
public sealed class PasskeyOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Auth:Passkeys";

    /// <summary>
    /// The <see href="mfa-and-passkeys.md">passkeys</see>' relying party id: the frontend's host or a registrable domain it
    /// is under (<c>example.com</c> for <c>https://app.example.com</c>), <c>localhost</c> for local development; a public
    /// suffix or an IP address is refused. Passkeys are bound to it for good: changing it orphans every passkey registered
    /// under it. Empty: passkeys are off.
    /// </summary>
    [Setting(Default = "empty (passkeys off)")]
    public string? RpId { get; set; }

    /// <summary>The name the browser's passkey dialog shows (1-100 characters); empty: <c>Auth__Email__ProductName</c>.</summary>
    [Setting(Default = "`Auth__Email__ProductName`")]
    public string? RpName { get; set; }

    /// <summary>
    /// Comma-separated frontend origins a passkey ceremony may run on (checked against the <c>origin</c> in the answer's
    /// client data): https, or http for <c>localhost</c>, each under the RP id; empty: the entries of
    /// <c>Auth__AllowedOrigins</c> whose host is the RP id or under it. Start-up fails when none qualifies.
    /// </summary>
    [Setting(Default = "the `Auth__AllowedOrigins` under the RP id")]
    public string? Origins { get; set; }

    /// <summary>How many passkeys one account may have; 1-100.</summary>
    public int MaxPerUser { get; set; } = 20;

    internal bool Enabled => !string.IsNullOrWhiteSpace(RpId);

    internal string RelyingPartyId => (RpId ?? "").Trim().ToLowerInvariant();

    /// <summary>The origins ceremonies may run on: as configured, else the allowed origins under the RP id.</summary>
    internal IReadOnlyList<string> CeremonyOrigins(IEnumerable<string> allowedOrigins) =>
        Http.Origins.Split(Origins) is { Length: > 0 } configured ? configured : [.. allowedOrigins.Where(origin => IsUnder(origin, RelyingPartyId))];

    /// <summary>Whether a page on <paramref name="origin"/> may use <paramref name="rpId"/>: its host is the RP id or a subdomain of it, over https (http only on localhost).</summary>
    internal static bool IsUnder(string origin, string rpId)
    {
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri))
        {
            return false;
        }

        var host = uri.IdnHost.ToLowerInvariant();
        var secure = uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && IsLocalhost(host));
        return secure && (host == rpId || host.EndsWith("." + rpId, StringComparison.Ordinal));
    }

    private static bool IsLocalhost(string host) => host == "localhost" || host.EndsWith(".localhost", StringComparison.Ordinal);

    /// <summary>A registrable domain (or localhost, which browsers accept for development); never an IP address or a public suffix.</summary>
    internal static bool IsValidRpId(string rpId) =>
        rpId.Length is > 0 and <= 253
        && !IPAddress.TryParse(rpId.Trim('[', ']'), out _)
        && Uri.CheckHostName(rpId) == UriHostNameType.Dns
        && !rpId.EndsWith('.')
        && (IsLocalhost(rpId) || !PublicSuffixes.IsPublicSuffix(rpId));
}

internal sealed class PasskeyOptionsValidator(IOptions<RequestOriginOptions> origins) : IValidateOptions<PasskeyOptions>
{
    public ValidateOptionsResult Validate(string? name, PasskeyOptions options)
    {
        if (!options.Enabled)
        {
            return string.IsNullOrWhiteSpace(options.Origins)
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail("Auth__Passkeys__Origins is set but Auth__Passkeys__RpId is not: set the relying party id (a registrable domain) to turn passkeys on.");
        }

        var failures = new List<string>();
        var rpId = options.RelyingPartyId;
        if (!PasskeyOptions.IsValidRpId(rpId))
        {
            failures.Add($"Auth__Passkeys__RpId must be a registrable domain such as example.com (or localhost for development): not an IP address or a public suffix such as com or azurewebsites.net; got '{options.RpId}'.");
        }
        else
        {
            var configured = Origins.Split(options.Origins);
            var bad = configured.Where(origin => !Origins.IsOrigin(origin) || !PasskeyOptions.IsUnder(origin, rpId)).ToArray();
            if (bad.Length > 0)
            {
                failures.Add($"Auth__Passkeys__Origins must list https origins (http only for localhost) whose host is {rpId} or under it; not: {string.Join(", ", bad)}");
            }
            else if (options.CeremonyOrigins(origins.Value.Origins).Count == 0)
            {
                failures.Add($"Auth__Passkeys__Origins: no frontend origin may use the RP id {rpId}. Set Auth__Passkeys__Origins, or list an origin whose host is {rpId} or under it in Auth__AllowedOrigins (an IP address such as 127.0.0.1 is never one).");
            }
        }

        if (options.RpName is { Length: > 0 } rpName && (rpName.Length > 100 || rpName.Any(char.IsControl)))
        {
            failures.Add("Auth__Passkeys__RpName must be 1-100 characters without line breaks (the browser's passkey dialog shows it).");
        }

        if (options.MaxPerUser is < 1 or > 100)
        {
            failures.Add("Auth__Passkeys__MaxPerUser must be 1-100.");
        }

        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }
}
