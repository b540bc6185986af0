using Microsoft.AspNetCore.Http;

namespace Serverless.Auth.Http;

/// <summary>The token of an <c>Authorization: Bearer</c> header (non-browser clients).</summary>
internal static class BearerToken
{
    public static string? Read(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        return header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) && header.Length > scheme.Length
            ? header[scheme.Length..].Trim()
            : null;
    }
}
