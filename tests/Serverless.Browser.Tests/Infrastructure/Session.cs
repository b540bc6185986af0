using System.Security.Cryptography;
using Microsoft.Playwright;
using Serverless.Testing;

namespace Serverless.Browser.Tests.Infrastructure;

/// <summary>Fresh accounts, and what the browser holds: its cookie jar and what page scripts can see.</summary>
public static class Session
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(30);

    public static string NewEmail() => $"browser-{Guid.NewGuid():N}@example.com";

    /// <summary>Long and random: passes the length and weak-password rules.</summary>
    public static string NewPassword() => $"violet-harbor-{RandomNumberGenerator.GetHexString(12, lowercase: true)}-compass";

    /// <summary>The auth cookie in the context's cookie jar, or null when the browser did not store it.</summary>
    public static async Task<BrowserContextCookiesResult?> StoredCookieAsync(IBrowserContext context, TestApi api)
    {
        var cookies = await context.CookiesAsync();
        return cookies.SingleOrDefault(c => c.Name == CookieSettings.Of(api).CookieName);
    }

    /// <summary>Asserts the cookie is stored with every attribute the API was configured for, and returns it.</summary>
    public static async Task<BrowserContextCookiesResult> AssertStoredAsync(IBrowserContext context, TestApi api)
    {
        var all = await context.CookiesAsync();
        var expected = CookieSettings.Of(api);
        var cookie = Assert.Single(all, c => c.Name == expected.CookieName);
        Assert.True(cookie.HttpOnly, "the auth cookie must be HttpOnly");
        Assert.Equal(expected.Secure, cookie.Secure);
        Assert.Equal(Enum.Parse<SameSiteAttribute>(expected.SameSite), cookie.SameSite);
        Assert.Equal("/", cookie.Path);
        Assert.Equal("localhost", cookie.Domain); // host-only, for the API's host
        Assert.False(string.IsNullOrEmpty(cookie.Value));

        // Max-Age (not a session cookie): the jar holds an absolute expiry about 30 minutes ahead.
        // Playwright reports Expires as a float (single precision): near 1.8e9 s it moves in steps of
        // 128 s, so it is only good to +-64 s. The exact Max-Age=1800 is asserted on the raw Set-Cookie
        // header (CorsTests), and the token's own expiry on the verify body.
        Assert.NotEqual(-1, cookie.Expires);
        var secondsLeft = cookie.Expires - (double)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Assert.InRange(secondsLeft, Lifetime.TotalSeconds - 64 - 60, Lifetime.TotalSeconds + 64 + 5);

        // CHIPS: a partitioned cookie is keyed by the top-level site it was set under.
        if (expected.Partitioned)
        {
            Assert.False(string.IsNullOrEmpty(cookie.PartitionKey), "the cookie should be Partitioned");
        }
        else
        {
            Assert.True(string.IsNullOrEmpty(cookie.PartitionKey), $"the cookie should not be Partitioned, has key {cookie.PartitionKey}");
        }

        return cookie;
    }

    /// <summary>The token is HttpOnly: neither document.cookie nor the page's cookie line shows it.</summary>
    public static async Task AssertHiddenFromScriptsAsync(DemoPage page, string token)
    {
        var (script, shown) = await page.DocumentCookieAsync();
        Assert.Equal("", script);
        Assert.DoesNotContain(token, shown, StringComparison.Ordinal);
        Assert.Contains("(empty", shown, StringComparison.Ordinal);
    }

    public static void AssertSession(ApiCall call, int status, string email)
    {
        Assert.True(call.Status == status, $"expected {status}: {call}");
        Assert.Equal(email, call.Body!.Value.GetProperty("email").GetString());
        Assert.False(string.IsNullOrEmpty(call.Body.Value.GetProperty("userId").GetString()));
        if (call.Body.Value.TryGetProperty("expiresAt", out var expiresAt))
        {
            var left = expiresAt.GetDateTimeOffset() - DateTimeOffset.UtcNow;
            Assert.InRange(left, Lifetime - TimeSpan.FromMinutes(2), Lifetime + TimeSpan.FromSeconds(5));
        }
    }

    /// <summary>401 as RFC 9457 problem+json, read by the page (so CORS let it through).</summary>
    public static void AssertUnauthorized(ApiCall call)
    {
        Assert.True(call.Status == 401, $"expected 401: {call}");
        Assert.Equal(401, call.Body!.Value.GetProperty("status").GetInt32());
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
