using Microsoft.AspNetCore.Http;

namespace Serverless.Auth.Http;

/// <summary>The token of an <c>Authorization: Bearer</c> header (non-browser clients).</summary>
internal static class BearerToken
{
    private const string Scheme = "Bearer ";

    public static string? Read(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return IsBearer(header) ? header[Scheme.Length..].Trim() : null;
    }

    /// <summary>
    /// <see cref="Read"/>'s token when the request has one Authorization header and it is a non-empty Bearer one, as
    /// the characters of that header (no string is made; a protected endpoint reads it on every request).
    /// </summary>
    public static bool TryReadOne(HttpRequest request, out ReadOnlySpan<char> token)
    {
        var headers = request.Headers.Authorization;
        token = headers.Count == 1 && IsBearer(headers[0]) ? headers[0].AsSpan(Scheme.Length).Trim() : default;
        return !token.IsEmpty;
    }

    private static bool IsBearer(ReadOnlySpan<char> header) =>
        header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) && header.Length > Scheme.Length;
}
