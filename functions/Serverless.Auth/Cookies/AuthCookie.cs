using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Serverless.Auth.Cookies;

/// <summary>
/// Writes, clears and reads one HttpOnly cookie: the access token's (Path=/) or the refresh token's
/// (<see cref="Refresh"/>, Path=/api/auth). Both follow the same Secure / SameSite / Partitioned / Domain settings.
/// </summary>
internal sealed class AuthCookie
{
    public const string HostPrefix = "__Host-";
    public const string SecurePrefix = "__Secure-";

    private readonly AuthCookieOptions options;
    private readonly string path;

    /// <summary>The access-token cookie.</summary>
    public AuthCookie(IOptions<AuthCookieOptions> options)
        : this(options.Value, options.Value.Name, "/")
    {
    }

    private AuthCookie(AuthCookieOptions options, string baseName, string path)
    {
        this.options = options;
        this.path = path;
        // __Host- makes the browser refuse the cookie unless Secure, Path=/ and no Domain: a sibling
        // subdomain or an http page cannot plant or shadow it. A narrower path can only have __Secure-.
        Name = !options.Secure ? baseName
            : path == "/" && string.IsNullOrEmpty(options.Domain) ? HostPrefix + baseName
            : SecurePrefix + baseName;
    }

    /// <summary>The refresh-token cookie: sent only to the auth routes, never to the rest of an app on the same host.</summary>
    public static AuthCookie Refresh(IOptions<AuthCookieOptions> options) =>
        new(options.Value, options.Value.RefreshName, Http.AuthRoutes.AuthPath);

    public string Name { get; }

    /// <summary>A null lifetime writes a browser-session cookie (no Max-Age): gone when the browser closes.</summary>
    public void Append(HttpResponse response, string token, TimeSpan? lifetime) =>
        response.Cookies.Append(Name, token, Build(lifetime));

    /// <summary>Same name, path, domain and flags, already expired: the browser deletes it.</summary>
    public void Clear(HttpResponse response)
    {
        var expired = Build(TimeSpan.Zero);
        expired.Expires = DateTimeOffset.UnixEpoch;
        response.Cookies.Append(Name, "", expired);
    }

    public string? Read(HttpRequest request) =>
        request.Cookies.TryGetValue(Name, out var value) && !string.IsNullOrEmpty(value) ? value : null;

    private CookieOptions Build(TimeSpan? maxAge)
    {
        var cookie = new CookieOptions
        {
            HttpOnly = true,
            Secure = options.Secure,
            SameSite = options.SameSite,
            Path = path,
            Domain = string.IsNullOrEmpty(options.Domain) ? null : options.Domain,
            MaxAge = maxAge,
            IsEssential = true,
        };
        if (options.Partitioned)
        {
            cookie.Extensions.Add("Partitioned");
        }

        return cookie;
    }
}
