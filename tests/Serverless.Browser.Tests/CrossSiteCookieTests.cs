using Microsoft.Playwright;
using Serverless.Auth.Http;
using Serverless.Browser.Tests.Infrastructure;
using static Serverless.Browser.Tests.Infrastructure.Session;

namespace Serverless.Browser.Tests;

/// <summary>
/// A page on another site than the API (page http://127.0.0.1:&lt;port&gt;, API http://localhost:&lt;port&gt;):
/// the auth cookie is a third-party cookie there. Chromium keeps it only as SameSite=None; Secure;
/// Partitioned. Each failing setup differs from the working one in a single setting.
/// </summary>
public sealed class CrossSiteCookieTests(BrowserFixture browser) : IAsyncLifetime
{
    private IBrowserContext context = null!;

    public async ValueTask InitializeAsync() => context = await browser.NewContextAsync();

    public async ValueTask DisposeAsync() => await context.CloseAsync();

    [Fact]
    public async Task PartitionedSameSiteNoneCookieKeepsACrossSiteSessionAcrossReloadUntilLogout()
    {
        await using var api = await ApiServer.StartAsync(browser, CookieSettings.CrossSite);
        var (page, onLoad) = await DemoPage.OpenAsync(context, browser.Demo.CrossSiteOrigin, api.BaseUrl);
        AssertUnauthorized(onLoad);
        var email = NewEmail();
        var password = NewPassword();

        AssertSession(await page.SignupAsync(email, password), 201, email);
        var cookie = await AssertStoredAsync(context, api);
        Assert.Equal("__Host-auth", cookie.Name);
        Assert.Equal("http://127.0.0.1", cookie.PartitionKey); // kept in the jar of the page's top-level site
        await AssertHiddenFromScriptsAsync(page, cookie.Value);
        AssertSession(await page.VerifyAsync(), 200, email);

        AssertSession(await page.ReloadAsync(), 200, email);
        AssertSession(await page.VerifyAsync(), 200, email);

        AssertStatus(await page.LogoutAsync(), 204);
        Assert.Null(await StoredCookieAsync(context, api));
        AssertUnauthorized(await page.VerifyAsync());

        // And a login (not only a signup) starts a new cross-site session.
        AssertSession(await page.LoginAsync(email, password), 200, email);
        await AssertStoredAsync(context, api);
        AssertSession(await page.VerifyAsync(), 200, email);
        await AssertHiddenFromScriptsAsync(page, (await StoredCookieAsync(context, api))!.Value);
    }

    /// <summary>Third-party cookies are blocked: Chromium 156 says UserPreferences; newer ones may name the phase-out.</summary>
    [Fact]
    public Task WithoutPartitionedCrossSiteLoginAnswers200ButVerify401() =>
        AssertCrossSiteCookieDroppedAsync(
            CookieSettings.CrossSite with { Partitioned = false },
            ["UserPreferences", "ThirdPartyPhaseout", "ThirdPartyBlockedInFirstPartySet"]);

    /// <summary>A Lax cookie is never set by (nor sent with) a cross-site fetch: SchemefulSameSiteLax / SameSiteLax.</summary>
    [Fact]
    public Task WithSameSiteLaxCrossSiteLoginAnswers200ButVerify401() =>
        AssertCrossSiteCookieDroppedAsync(
            CookieSettings.CrossSite with { SameSite = "Lax" },
            ["SchemefulSameSiteLax", "SameSiteLax"]);

    private async Task AssertCrossSiteCookieDroppedAsync(CookieSettings settings, string[] expectedReasons)
    {
        await using var api = await ApiServer.StartAsync(browser, settings);
        var tab = await context.NewPageAsync();
        var network = await NetworkLog.AttachAsync(context, tab);
        var (page, _) = await DemoPage.OpenAsync(tab, browser.Demo.CrossSiteOrigin, api.BaseUrl);
        var email = NewEmail();
        var password = NewPassword();
        AssertSession(await page.SignupAsync(email, password), 201, email);

        var login = await page.LoginAsync(email, password);

        // The API did its part (and CORS let the page read the answer) ...
        AssertSession(login, 200, email);
        // ... but the browser did not keep the cookie for this cross-site page, so it never goes back.
        Assert.Null(await StoredCookieAsync(context, api));
        var answer = await network.WaitForAsync(x => x.Method == "POST" && x.Url.EndsWith(AuthApi.Login.Path, StringComparison.Ordinal), "login");
        Assert.StartsWith(api.Cookie.CookieName + "=", answer.ResponseHeaders["Set-Cookie"], StringComparison.Ordinal);
        // Every cookie of the sign-in (access, device, refresh), for the same reason.
        Assert.Equal(
            [api.Cookie.CookieName, api.Cookie.DeviceCookieName, api.Cookie.RefreshCookieName],
            answer.BlockedSetCookies.Select(b => b.Line[..b.Line.IndexOf('=', StringComparison.Ordinal)]).Order(StringComparer.Ordinal));
        foreach (var (line, reasons) in answer.BlockedSetCookies)
        {
            TestContext.Current.TestOutputHelper?.WriteLine($"Chromium blocked the Set-Cookie ({string.Join(", ", reasons)}): {line[..line.IndexOf('=', StringComparison.Ordinal)]}=...");
            Assert.True(reasons.Intersect(expectedReasons).Any(), $"blocked for {string.Join(", ", reasons)}, expected one of {string.Join(", ", expectedReasons)}");
        }
        AssertUnauthorized(await page.VerifyAsync());
        Assert.Equal("cookie-blocked", await page.SessionStateAsync());
        Assert.Contains("SameSite=None; Secure; Partitioned", await page.SessionTextAsync(), StringComparison.Ordinal);

        // Control: the same API and account from a same-site page keep the session, so it is the
        // cross-site cookie policy that dropped it, not the server.
        await using var sameSite = await browser.NewContextAsync();
        var (first, _) = await DemoPage.OpenAsync(sameSite, browser.Demo.SameSiteOrigin, api.BaseUrl);
        AssertSession(await first.LoginAsync(email, password), 200, email);
        await AssertStoredAsync(sameSite, api);
        AssertSession(await first.VerifyAsync(), 200, email);
    }
}
