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
}
