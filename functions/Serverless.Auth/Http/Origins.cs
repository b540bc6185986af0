namespace Serverless.Auth.Http;

/// <summary>Browser origins as settings hold them: comma-separated <c>scheme://host[:port]</c>.</summary>
public static class Origins
{
    /// <summary>The entries of a comma-separated list, trimmed, empty ones dropped.</summary>
    public static string[] Split(string? list) =>
        (list ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>
    /// An http(s) origin with no path, query or trailing slash, exactly as browsers send it. (Uri refuses a
    /// wildcard host such as <c>https://*.example.com</c>.) No trailing dot either: <c>https://a.example.</c>
    /// is another origin than the one the frontend runs on.
    /// </summary>
    public static bool IsOrigin(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
        && !uri.Host.EndsWith('.')
        && string.IsNullOrEmpty(uri.UserInfo)
        && uri.GetLeftPart(UriPartial.Authority).Equals(value, StringComparison.OrdinalIgnoreCase);
}
