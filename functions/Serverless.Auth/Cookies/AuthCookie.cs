using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Serverless.Auth.Http;

namespace Serverless.Auth.Cookies;

/// <summary>
/// Writes, clears and reads one HttpOnly cookie: the access token's (Path=/) or the refresh token's
/// (<see cref="Refresh"/>, Path = the auth base path, /api/auth by default). Both follow the same Secure / SameSite / Partitioned / Domain settings.
/// </summary>
internal sealed class AuthCookie
{
    public const string HostPrefix = "__Host-";
    public const string SecurePrefix = "__Secure-";

    // The access cookie's path; the others' is read per write from AuthMount (fixed once read).
    private static readonly Func<string> RootPath = () => "/";

    private readonly AuthCookieOptions options;
    private readonly Func<string> path;
    private readonly bool topLevelOnly;

    /// <summary>The access-token cookie.</summary>
    public AuthCookie(IOptions<AuthCookieOptions> options)
        : this(options.Value, options.Value.Name, RootPath)
    {
    }

    private AuthCookie(AuthCookieOptions options, string baseName, Func<string> path, bool topLevelOnly = false)
    {
        this.options = options;
        this.path = path;
        this.topLevelOnly = topLevelOnly;
        // __Host- makes the browser refuse the cookie unless Secure, Path=/ and no Domain: a sibling
        // subdomain or an http page cannot plant or shadow it. A narrower path can only have __Secure-
        // (the auth base path is never the root: AuthMount refuses it).
        Name = !options.Secure ? baseName
            : path == RootPath && string.IsNullOrEmpty(options.Domain) ? HostPrefix + baseName
            : SecurePrefix + baseName;
    }

    /// <summary>The refresh-token cookie: sent only to the auth routes, never to the rest of an app on the same host.</summary>
    public static AuthCookie Refresh(IOptions<AuthCookieOptions> options, AuthMount mount) =>
        new(options.Value, options.Value.RefreshName, () => mount.BasePath);

    /// <summary>The device cookie of the login backoff (<see cref="Throttling.DeviceCookies"/>): auth routes only.</summary>
    public static AuthCookie Device(IOptions<AuthCookieOptions> options, AuthMount mount) =>
        new(options.Value, options.Value.DeviceName, () => mount.BasePath);

    /// <summary>The pending sign-in cookie between the password and the second step: only the MFA routes get it.</summary>
    public static AuthCookie PendingSignIn(IOptions<AuthCookieOptions> options, AuthMount mount) =>
        new(options.Value, options.Value.Name + "-mfa", () => mount.BasePath + "/mfa");

    /// <summary>A passkey ceremony's challenge, between its options and its answer: the auth routes only.</summary>
    public static AuthCookie PasskeyChallenge(IOptions<AuthCookieOptions> options, AuthMount mount) =>
        new(options.Value, options.Value.Name + "-webauthn", () => mount.BasePath);

    /// <summary>
    /// A social sign-in's state between its start and the provider's callback, both top-level navigations to the API:
    /// SameSite=Lax whatever the session cookies use (the callback arrives from the provider's site) and never
    /// partitioned (it lives in the API's own top-level partition); sent to that provider's callback route only.
    /// </summary>
    public static AuthCookie OidcState(IOptions<AuthCookieOptions> options, AuthMount mount, string provider) =>
        new(options.Value, options.Value.Name + "-oidc", () => mount.BasePath + "/oidc/" + provider + "/callback", topLevelOnly: true);

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

    /// <summary>
    /// Every non-empty value sent under exactly this name (case-sensitive). Browsers may send a name
    /// twice (a cookie planted for a parent domain, an older unpartitioned copy); callers decide which
    /// values to believe. ASP.NET Core's cookie collection would match case-insensitively and keep one.
    /// </summary>
    public IReadOnlyList<string> ReadAll(HttpRequest request)
    {
        // A browser has at most a few legitimate copies; a request with more is forged and gets none
        // (each refresh value costs a storage read).
        const int MaxValues = 4;
        List<string>? values = null;
        foreach (var value in ValuesOf(request))
        {
            if (!Contains(values, value))
            {
                (values ??= []).Add(value.ToString());
            }
        }

        return values is not null && values.Count <= MaxValues ? values : [];
    }

    /// <summary>
    /// True when <see cref="ReadAll"/> would return exactly one value: that value, as the characters of the Cookie
    /// header where it was sent (no string is made; a protected endpoint reads it on every request).
    /// </summary>
    public bool TryReadOne(HttpRequest request, out ReadOnlySpan<char> value)
    {
        value = default;
        foreach (var candidate in ValuesOf(request))
        {
            if (value.IsEmpty)
            {
                value = candidate;
            }
            else if (!candidate.SequenceEqual(value))
            {
                value = default;
                return false;
            }
        }

        return !value.IsEmpty;
    }

    // Spans, not Split: verify and protected endpoints read this on every request, and only the values themselves are worth a string.
    private ValueEnumerator ValuesOf(HttpRequest request) => new(request.Headers.Cookie, Name);

    /// <summary>Each non-empty value under exactly <c>name</c> in the Cookie headers, in order, repeats included.</summary>
    private ref struct ValueEnumerator(StringValues headers, string name)
    {
        private int header = -1;
        private ReadOnlySpan<char> text;
        private MemoryExtensions.SpanSplitEnumerator<char> pairs;

        public ReadOnlySpan<char> Current { get; private set; }

        public readonly ValueEnumerator GetEnumerator() => this;

        public bool MoveNext()
        {
            while (true)
            {
                if (header >= 0)
                {
                    while (pairs.MoveNext())
                    {
                        var pair = text[pairs.Current].Trim();
                        var equals = pair.IndexOf('=');
                        if (equals > 0 && pair[..equals].Trim().SequenceEqual(name))
                        {
                            var value = pair[(equals + 1)..].Trim().Trim('"');
                            if (value.Length > 0)
                            {
                                Current = value;
                                return true;
                            }
                        }
                    }
                }

                if (++header >= headers.Count)
                {
                    return false;
                }

                text = (headers[header] ?? "").AsSpan();
                pairs = text.Split(';');
            }
        }
    }

    private static bool Contains(List<string>? values, ReadOnlySpan<char> value)
    {
        if (values is not null)
        {
            foreach (var existing in values)
            {
                if (value.SequenceEqual(existing))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private CookieOptions Build(TimeSpan? maxAge)
    {
        var cookie = new CookieOptions
        {
            HttpOnly = true,
            Secure = options.Secure,
            SameSite = topLevelOnly ? SameSiteMode.Lax : options.SameSite,
            Path = path(),
            Domain = string.IsNullOrEmpty(options.Domain) ? null : options.Domain,
            MaxAge = maxAge,
            IsEssential = true,
        };
        if (options.Partitioned && !topLevelOnly)
        {
            cookie.Extensions.Add("Partitioned");
        }

        return cookie;
    }
}
