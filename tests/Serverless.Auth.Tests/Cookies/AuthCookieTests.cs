using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Serverless.Auth.Cookies;
using Serverless.Auth.Http;

namespace Serverless.Auth.Tests.Cookies;

public sealed class AuthCookieTests
{
    private static string Written(AuthCookieOptions options)
    {
        var context = new DefaultHttpContext();
        new AuthCookie(Options.Create(options)).Append(context.Response, "token-value", TimeSpan.FromMinutes(30));
        return context.Response.Headers.SetCookie.ToString();
    }

    [Theory]
    [InlineData(false, SameSiteMode.Strict, false, "auth=token-value; max-age=1800; path=/; samesite=strict; httponly")]
    [InlineData(false, SameSiteMode.Lax, false, "auth=token-value; max-age=1800; path=/; samesite=lax; httponly")]
    [InlineData(true, SameSiteMode.Lax, false, "__Host-auth=token-value; max-age=1800; path=/; secure; samesite=lax; httponly")]
    [InlineData(true, SameSiteMode.Strict, false, "__Host-auth=token-value; max-age=1800; path=/; secure; samesite=strict; httponly")]
    [InlineData(true, SameSiteMode.None, false, "__Host-auth=token-value; max-age=1800; path=/; secure; samesite=none; httponly")]
    [InlineData(true, SameSiteMode.None, true, "__Host-auth=token-value; max-age=1800; path=/; secure; samesite=none; httponly; Partitioned")]
    public void CookieAttributesFollowTheSettings(bool secure, SameSiteMode sameSite, bool partitioned, string expected)
    {
        var options = new AuthCookieOptions { Secure = secure, SameSite = sameSite, Partitioned = partitioned };

        Assert.True(new AuthCookieOptionsValidator().Validate(null, options).Succeeded);
        Assert.Equal(expected, Written(options));
    }

    [Fact]
    public void DomainCookieGetsTheSecurePrefix()
    {
        // __Host- forbids Domain; __Secure- still makes browsers refuse the cookie from a plain-http page.
        var written = Written(new AuthCookieOptions { Secure = true, Domain = "example.com" });
        Assert.Equal("__Secure-auth=token-value; max-age=1800; domain=example.com; path=/; secure; samesite=lax; httponly", written);
    }

    [Theory]
    [InlineData(false, null, "refresh=token-value; max-age=1800; path=/api/auth; samesite=lax; httponly")]
    [InlineData(true, null, "__Secure-refresh=token-value; max-age=1800; path=/api/auth; secure; samesite=lax; httponly")]
    [InlineData(true, "example.com", "__Secure-refresh=token-value; max-age=1800; domain=example.com; path=/api/auth; secure; samesite=lax; httponly")]
    public void RefreshCookieIsScopedToTheAuthRoutesWithTheSecurePrefix(bool secure, string? domain, string expected)
    {
        var context = new DefaultHttpContext();
        AuthCookie.Refresh(Options.Create(new AuthCookieOptions { Secure = secure, Domain = domain }), new AuthMount()).Append(context.Response, "token-value", TimeSpan.FromMinutes(30));

        Assert.Equal(expected, context.Response.Headers.SetCookie.ToString());
    }

    [Fact]
    public void NoLifetimeWritesABrowserSessionCookie()
    {
        var context = new DefaultHttpContext();
        new AuthCookie(Options.Create(new AuthCookieOptions { Secure = true })).Append(context.Response, "token-value", lifetime: null);

        Assert.Equal("__Host-auth=token-value; path=/; secure; samesite=lax; httponly", context.Response.Headers.SetCookie.ToString());
    }

    [Fact]
    public void ClearingUsesTheSameAttributesAndExpiresTheCookie()
    {
        var context = new DefaultHttpContext();
        new AuthCookie(Options.Create(new AuthCookieOptions { Secure = true, SameSite = SameSiteMode.None, Partitioned = true })).Clear(context.Response);

        Assert.Equal("__Host-auth=; expires=Thu, 01 Jan 1970 00:00:00 GMT; max-age=0; path=/; secure; samesite=none; httponly; Partitioned", context.Response.Headers.SetCookie.ToString());
    }

    [Theory]
    [InlineData(false, SameSiteMode.None, false, "Auth__Cookie__SameSite=None requires Auth__Cookie__Secure=true")]
    [InlineData(false, SameSiteMode.Lax, true, "Auth__Cookie__Partitioned=true requires Auth__Cookie__Secure=true")]
    [InlineData(true, SameSiteMode.Unspecified, false, "Auth__Cookie__SameSite must be Strict, Lax or None")]
    public void UnsafeCombinationsAreRefusedNamingTheSettings(bool secure, SameSiteMode sameSite, bool partitioned, string expected)
    {
        var result = new AuthCookieOptionsValidator().Validate(null, new AuthCookieOptions { Secure = secure, SameSite = sameSite, Partitioned = partitioned });

        Assert.True(result.Failed);
        Assert.Contains(expected, result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("__Host-auth")]
    [InlineData("bad name")]
    [InlineData("semi;colon")]
    [InlineData("")]
    public void BadCookieNamesAreRefused(string name) =>
        Assert.Contains("Auth__Cookie__Name", new AuthCookieOptionsValidator().Validate(null, new AuthCookieOptions { Name = name }).FailureMessage, StringComparison.Ordinal);

    /// <summary>
    /// The fast read of protected endpoints (<see cref="AuthCookie.TryReadOne"/>) answers exactly when
    /// <see cref="AuthCookie.ReadAll"/> would give one value, and with that value: several copies of one value count
    /// once, two different values (or more than ReadAll accepts) never give one.
    /// </summary>
    [Theory]
    [InlineData(new[] { "auth=a1" }, "a1")]
    [InlineData(new[] { "other=x; auth=a1; more=y" }, "a1")]
    [InlineData(new[] { " auth = \"a1\" " }, "a1")]
    [InlineData(new[] { "auth=a1; auth=a1" }, "a1")]
    [InlineData(new[] { "auth=a1", "auth=a1" }, "a1")]
    [InlineData(new[] { "auth=; auth=a1; auth=\"\"" }, "a1")]
    [InlineData(new[] { "x=1", "auth=a1" }, "a1")]
    [InlineData(new[] { "auth=a1; auth=a2" }, null)]
    [InlineData(new[] { "auth=a1", "auth=a2" }, null)]
    [InlineData(new[] { "auth=a1; auth=a2; auth=a1" }, null)]
    [InlineData(new[] { "Auth=a1" }, null)]
    [InlineData(new[] { "auth2=a1; xauth=a2" }, null)]
    [InlineData(new[] { "auth=" }, null)]
    [InlineData(new[] { "" }, null)]
    [InlineData(new string[0], null)]
    [InlineData(new[] { "auth=1; auth=2; auth=3; auth=4; auth=5" }, null)]
    public void TheOneValueReadAgreesWithReadAll(string[] cookieHeaders, string? expected)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.Cookie = cookieHeaders;
        var cookie = new AuthCookie(Options.Create(new AuthCookieOptions { Secure = false }));

        var all = cookie.ReadAll(context.Request);
        var one = cookie.TryReadOne(context.Request, out var value) ? value.ToString() : null;

        Assert.Equal(expected, one);
        Assert.Equal(expected, all.Count == 1 ? all[0] : null);
    }

    /// <summary>The fast read of a Bearer token gives <see cref="BearerToken.Read"/>'s token, for one Authorization header only.</summary>
    [Theory]
    [InlineData(new[] { "Bearer abc" }, "abc")]
    [InlineData(new[] { "bearer  abc  " }, "abc")]
    [InlineData(new[] { "Bearer " }, null)]
    [InlineData(new[] { "Bearer    " }, null)]
    [InlineData(new[] { "Basic abc" }, null)]
    [InlineData(new[] { "Bearer abc", "Bearer abc" }, null)]
    [InlineData(new string[0], null)]
    public void TheOneBearerReadAgreesWithRead(string[] authorization, string? expected)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.Authorization = authorization;

        var one = BearerToken.TryReadOne(context.Request, out var token) ? token.ToString() : null;

        Assert.Equal(expected, one);
        if (expected is not null)
        {
            Assert.Equal(expected, BearerToken.Read(context.Request));
        }
    }
}
