using System.Security.Cryptography;
using Microsoft.Playwright;
using Serverless.Auth.Http;

namespace Serverless.Browser.Tests.Infrastructure;

/// <summary>Fresh accounts, and what the browser holds: its cookie jar and what page scripts can see.</summary>
public static class Session
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(30);

    public static string NewEmail() => $"browser-{Guid.NewGuid():N}@example.com";

    /// <summary>Long and random: passes the length and weak-password rules.</summary>
    public static string NewPassword() => $"violet-harbor-{RandomNumberGenerator.GetHexString(12, lowercase: true)}-compass";

    /// <summary>The refresh cookie lives as long as the session may stay idle (Auth:Session:IdleMinutes, 14 days).</summary>
    public static readonly TimeSpan SessionIdle = TimeSpan.FromDays(14);

    /// <summary>The auth cookie in the context's cookie jar, or null when the browser did not store it.</summary>
    public static async Task<BrowserContextCookiesResult?> StoredCookieAsync(IBrowserContext context, ApiServer api) =>
        await StoredCookieAsync(context, api.Cookie.CookieName);

    /// <summary>The refresh cookie in the context's cookie jar, or null.</summary>
    public static async Task<BrowserContextCookiesResult?> StoredRefreshCookieAsync(IBrowserContext context, ApiServer api) =>
        await StoredCookieAsync(context, api.Cookie.RefreshCookieName);

    /// <summary>Asserts the access cookie is stored with every attribute the API was configured for, and returns it.</summary>
    public static async Task<BrowserContextCookiesResult> AssertStoredAsync(IBrowserContext context, ApiServer api, TimeSpan? lifetime = null) =>
        AssertCookie(await context.CookiesAsync(), api.Cookie, api.Cookie.CookieName, "/", lifetime ?? Lifetime);

    /// <summary>Asserts the refresh cookie is stored, sent only to the auth routes, with the same flags as the access cookie.</summary>
    public static async Task<BrowserContextCookiesResult> AssertRefreshStoredAsync(IBrowserContext context, ApiServer api) =>
        AssertCookie(await context.CookiesAsync(), api.Cookie, api.Cookie.RefreshCookieName, AuthRoutes.DefaultBasePath, SessionIdle);

    private static async Task<BrowserContextCookiesResult?> StoredCookieAsync(IBrowserContext context, string name)
    {
        var cookies = await context.CookiesAsync();
        return cookies.SingleOrDefault(c => c.Name == name);
    }

    private static BrowserContextCookiesResult AssertCookie(IReadOnlyList<BrowserContextCookiesResult> jar, CookieSettings expected, string name, string path, TimeSpan lifetime)
    {
        var cookie = Assert.Single(jar, c => c.Name == name);
        Assert.True(cookie.HttpOnly, $"{name} must be HttpOnly");
        Assert.Equal(expected.Secure, cookie.Secure);
        Assert.Equal(Enum.Parse<SameSiteAttribute>(expected.SameSite), cookie.SameSite);
        Assert.Equal(path, cookie.Path);
        Assert.Equal("localhost", cookie.Domain); // host-only, for the API's host
        Assert.False(string.IsNullOrEmpty(cookie.Value));

        // Max-Age (not a session cookie): the jar holds an absolute expiry about one lifetime ahead.
        // Playwright reports Expires as a float (single precision): near 1.8e9 s it moves in steps of
        // 128 s, so it is only good to +-64 s. The exact Max-Age is asserted on the raw Set-Cookie
        // header (CorsTests), and the token's own expiry on the verify body.
        Assert.NotEqual(-1, cookie.Expires);
        var secondsLeft = cookie.Expires - (double)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Assert.InRange(secondsLeft, lifetime.TotalSeconds - 64 - 60, lifetime.TotalSeconds + 64 + 5);

        // CHIPS: a partitioned cookie is keyed by the top-level site it was set under.
        if (expected.Partitioned)
        {
            Assert.False(string.IsNullOrEmpty(cookie.PartitionKey), $"{name} should be Partitioned");
        }
        else
        {
            Assert.True(string.IsNullOrEmpty(cookie.PartitionKey), $"{name} should not be Partitioned, has key {cookie.PartitionKey}");
        }

        return cookie;
    }

    /// <summary>A copy of a stored cookie, to put back later (as a second browser holding the same token would).</summary>
    public static Cookie ToCookie(BrowserContextCookiesResult stored) => new()
    {
        Name = stored.Name,
        Value = stored.Value,
        Domain = stored.Domain,
        Path = stored.Path,
        Expires = stored.Expires,
        HttpOnly = stored.HttpOnly,
        Secure = stored.Secure,
        SameSite = stored.SameSite,
        PartitionKey = string.IsNullOrEmpty(stored.PartitionKey) ? null : stored.PartitionKey,
    };

    /// <summary>The token is HttpOnly: neither document.cookie nor the page's cookie line shows it.</summary>
    public static async Task AssertHiddenFromScriptsAsync(DemoPage page, string token)
    {
        var (script, shown) = await page.DocumentCookieAsync();
        Assert.Equal("", script);
        Assert.DoesNotContain(token, shown, StringComparison.Ordinal);
        Assert.Contains("(empty", shown, StringComparison.Ordinal);
    }

    /// <param name="lifetime">The access-token lifetime the API was given (default <see cref="Lifetime"/>).</param>
    public static void AssertSession(ApiCall call, int status, string email, TimeSpan? lifetime = null)
    {
        var expected = lifetime ?? Lifetime;
        Assert.True(call.Status == status, $"expected {status}: {call}");
        Assert.Equal(email, call.Body!.Value.GetProperty("email").GetString());
        Assert.False(string.IsNullOrEmpty(call.Body.Value.GetProperty("userId").GetString()));
        if (call.Body.Value.TryGetProperty("expiresAt", out var expiresAt))
        {
            var left = expiresAt.GetDateTimeOffset() - DateTimeOffset.UtcNow;
            Assert.InRange(left, expected - TimeSpan.FromMinutes(2), expected + TimeSpan.FromSeconds(5));
        }
    }

    /// <summary>401 as RFC 9457 problem+json, read by the page (so CORS let it through).</summary>
    public static void AssertUnauthorized(ApiCall call)
    {
        Assert.True(call.Status == 401, $"expected 401: {call}");
        Assert.Equal(401, call.Body!.Value.GetProperty("status").GetInt32());
    }

    /// <summary>
    /// A sign-in (login, second step, passkey) answered 200 signed_in for <paramref name="email"/> with these methods (amr),
    /// and the page's session line says who and how.
    /// </summary>
    public static async Task AssertSignedInShownAsync(DemoPage page, ApiCall call, string email, string[] amr)
    {
        AssertSession(call, 200, email);
        Assert.Equal("signed_in", call.Body!.Value.GetProperty("status").GetString());
        Assert.Equal(amr, call.Body.Value.GetProperty("amr").EnumerateArray().Select(method => method.GetString()));
        Assert.Equal("signed-in", await page.SessionStateAsync());
        var line = await page.SessionTextAsync();
        Assert.StartsWith($"Signed in as {email}", line, StringComparison.Ordinal);
        Assert.Contains($"Signed in with: {string.Join(", ", amr)}.", line, StringComparison.Ordinal);
        Assert.Equal(string.Join(' ', amr), await page.Page.GetAttributeAsync("#session", "data-amr"));
    }

    public static void AssertStatus(ApiCall call, int status) =>
        Assert.True(call.Status == status, $"expected {status}: {call}");

    /// <summary>fetch rejected: the browser withheld the response from the page.</summary>
    public static void AssertRejected(ApiCall call)
    {
        Assert.True(call.Status is null, $"expected fetch to reject: {call}");
        Assert.StartsWith("TypeError", call.Error, StringComparison.Ordinal);
    }
}
