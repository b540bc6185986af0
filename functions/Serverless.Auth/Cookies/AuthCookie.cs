using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Serverless.Auth.Cookies;

/// <summary>Writes, clears and reads the HttpOnly cookie that carries the access token.</summary>
internal sealed class AuthCookie
{
    public const string HostPrefix = "__Host-";

    private readonly AuthCookieOptions options;

    public AuthCookie(IOptions<AuthCookieOptions> options)
    {
        this.options = options.Value;
        // __Host- makes the browser refuse the cookie unless Secure, Path=/ and no Domain: a sibling
        // subdomain or an http page cannot plant or shadow it.
        Name = this.options.Secure && string.IsNullOrEmpty(this.options.Domain) ? HostPrefix + this.options.Name : this.options.Name;
    }

    public string Name { get; }

    public void Append(HttpResponse response, string token, TimeSpan lifetime) =>
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

    private CookieOptions Build(TimeSpan maxAge)
    {
        var cookie = new CookieOptions
        {
            HttpOnly = true,
            Secure = options.Secure,
            SameSite = options.SameSite,
            Path = "/",
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
