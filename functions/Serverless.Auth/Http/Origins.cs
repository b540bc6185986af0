namespace Serverless.Auth.Http;

/// <summary>Browser origins as settings hold them: comma-separated <c>scheme://host[:port]</c>.</summary>
public static class Origins
{
    public static string[] Split(string? list) =>
        (list ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>
    /// An http(s) origin with no path, query or trailing slash, exactly as browsers send it; its host a DNS
    /// name or an IP address, so no wildcard (<c>https://*.example.com</c>): origins are matched exactly.
    /// </summary>
    public static bool IsOrigin(string value) =>
        !value.Contains('*', StringComparison.Ordinal)
        && Uri.TryCreate(value, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
        && uri.HostNameType is UriHostNameType.Dns or UriHostNameType.IPv4 or UriHostNameType.IPv6
        && string.IsNullOrEmpty(uri.UserInfo)
        && uri.GetLeftPart(UriPartial.Authority).Equals(value, StringComparison.OrdinalIgnoreCase);
}
