using Microsoft.Playwright;
using Serverless.Auth.Http;
using Serverless.Browser.Tests.Infrastructure;
using static Serverless.Browser.Tests.Infrastructure.Session;

namespace Serverless.Browser.Tests;

/// <summary>CORS as Chromium enforces it on the demo page's credentialed fetches.</summary>
public sealed class CorsTests(BrowserFixture browser) : LaxApiTest(browser)
{
    [Fact]
    public async Task PageOnAnOriginThatIsNotAllowedCannotReadResponsesOrGetACookie()
    {
        // http://localhost:<other port> is even the same site as the API: only CORS and the origin check stand in the way.
        var tab = await Context.NewPageAsync();
        var network = await NetworkLog.AttachAsync(Context, tab);
        var (foreign, onLoad) = await DemoPage.OpenAsync(tab, Browser.Demo.ForeignOrigin, Api.BaseUrl);
        AssertRejected(onLoad);
        Assert.Equal("error", await foreign.SessionStateAsync());
        var email = NewEmail();
        var password = NewPassword();

        AssertRejected(await foreign.SignupAsync(email, password));
        AssertRejected(await foreign.LoginAsync(email, password));
        // A "simple" request skips the preflight and does reach the server: it must not set a cookie either.
        var simple = await foreign.Page.EvaluateAsync<string>(
            """
            async ([api, email, password]) => {
              try {
                await fetch(api + '/api/auth/signup', { method: 'POST', credentials: 'include', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify({ email, password }) });
                return 'resolved';
              } catch (e) {
                return e.name;
              }
            }
            """,
            new[] { Api.BaseUrl, email, password });
        Assert.Equal("TypeError", simple);
        Assert.Empty(await Context.CookiesAsync());
        // Behind the page's back: preflights got no CORS grant, and the simple request reached the API,
        // which refused the origin (403) and set no cookie.
        var preflight = await network.WaitForAsync(x => x.Type == "Preflight" && x.Url.EndsWith(AuthApi.Signup.Path, StringComparison.Ordinal), "signup preflight");
        Assert.False(preflight.ResponseHeaders.ContainsKey("Access-Control-Allow-Origin"), "preflight for a foreign origin granted CORS");
        var refused = await network.WaitForAsync(x => x.Method == "POST" && x.Url.EndsWith(AuthApi.Signup.Path, StringComparison.Ordinal), "simple signup");
        Assert.Equal(403, refused.Status);
        Assert.Equal("MissingAllowOriginHeader", refused.CorsError);
        Assert.False(refused.ResponseHeaders.ContainsKey("Set-Cookie"), "a refused request set a cookie");
        Assert.False(refused.ResponseHeaders.ContainsKey("Access-Control-Allow-Origin"));

        // The account does not exist: none of those attempts got through. An allowed page signs it up.
        var (allowed, _) = await DemoPage.OpenAsync(Context, Browser.Demo.SameSiteOrigin, Api.BaseUrl);
        AssertSession(await allowed.SignupAsync(email, password), 201, email);
        var cookie = await AssertStoredAsync(Context, Api);

        // Now the browser holds a session cookie it would send along, yet the foreign page still reads nothing,
        // and its login attempt does not replace the cookie.
        AssertRejected(await foreign.VerifyAsync());
        AssertRejected(await foreign.LoginAsync(email, password));
        AssertRejected(await foreign.LogoutAsync());
        Assert.Equal(cookie.Value, (await StoredCookieAsync(Context, Api))?.Value);
        AssertSession(await allowed.VerifyAsync(), 200, email); // the foreign logout did not end the session
    }

    [Fact]
    public async Task PreflightFromAnAllowedOriginSucceedsWithCredentials()
    {
        var tab = await Context.NewPageAsync();
        var network = await NetworkLog.AttachAsync(Context, tab);
        var origin = Browser.Demo.SameSiteOrigin;
        var (page, _) = await DemoPage.OpenAsync(tab, origin, Api.BaseUrl);
        var email = NewEmail();

        // Content-Type: application/json makes the signup a non-simple request: Chromium asks first.
        AssertSession(await page.SignupAsync(email, NewPassword()), 201, email);

        var preflight = await network.WaitForAsync(x => x.Method == "OPTIONS" && x.Url.EndsWith(AuthApi.Signup.Path, StringComparison.Ordinal), "signup preflight");
        Assert.Equal("Preflight", preflight.Type);
        Assert.InRange(preflight.Status!.Value, 200, 299);
        Assert.Equal(origin, preflight.RequestHeaders["Origin"]);
        Assert.Equal("POST", preflight.RequestHeaders["Access-Control-Request-Method"]);
        Assert.Equal("content-type", preflight.RequestHeaders["Access-Control-Request-Headers"]);
        AssertAllowsCredentialsFor(origin, preflight);
        Assert.Contains("POST", preflight.ResponseHeaders["Access-Control-Allow-Methods"], StringComparison.Ordinal);
        Assert.Contains("content-type", preflight.ResponseHeaders["Access-Control-Allow-Headers"], StringComparison.OrdinalIgnoreCase);

        var signup = await network.WaitForAsync(x => x.Method == "POST" && x.Url.EndsWith(AuthApi.Signup.Path, StringComparison.Ordinal), "signup");
        Assert.Equal(201, signup.Status);
        AssertAllowsCredentialsFor(origin, signup);
        var setCookie = signup.ResponseHeaders["Set-Cookie"];
        Assert.StartsWith("auth=", setCookie, StringComparison.Ordinal);
        Assert.Contains("max-age=1800", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(signup.BlockedSetCookies);

        // The next credentialed call carries the cookie the browser stored.
        var token = (await AssertStoredAsync(Context, Api)).Value;
        AssertSession(await page.VerifyAsync(), 200, email);
        var verify = await network.WaitForAsync(x => x.Method == "GET" && x.Url.EndsWith(AuthApi.Verify.Path, StringComparison.Ordinal) && x.Status == 200, "verify");
        Assert.Contains("auth=" + token, verify.RequestHeaders["Cookie"], StringComparison.Ordinal);
        AssertAllowsCredentialsFor(origin, verify);
    }

    private static void AssertAllowsCredentialsFor(string origin, Exchange exchange)
    {
        Assert.Equal(origin, exchange.ResponseHeaders["Access-Control-Allow-Origin"]);
        Assert.Equal("true", exchange.ResponseHeaders["Access-Control-Allow-Credentials"]);
    }
}
