using System.Diagnostics;
using Microsoft.Playwright;
using Serverless.Auth.Http;
using Serverless.Browser.Tests.Infrastructure;
using Serverless.Testing;
using static Serverless.Browser.Tests.Infrastructure.Session;

namespace Serverless.Browser.Tests;

/// <summary>
/// Sessions as the demo page lives them (issue 12): a short-lived access cookie the page renews by itself
/// through <c>POST /api/auth/refresh</c>, a refresh cookie scripts never see and only the auth routes get,
/// and "log out everywhere".
/// </summary>
public sealed class SessionRefreshTests(BrowserFixture browser) : IAsyncLifetime
{
    /// <summary>Access tokens this short make a dozen seconds span several of them.</summary>
    private static readonly TimeSpan ShortLifetime = TimeSpan.FromSeconds(3);

    private static readonly Dictionary<string, string?> ShortAccessTokens = new()
    {
        ["Auth:Jwt:LifetimeMinutes"] = null,
        ["Auth:Jwt:LifetimeSeconds"] = ShortLifetime.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private IBrowserContext context = null!;

    public async ValueTask InitializeAsync() => context = await browser.NewContextAsync();

    public async ValueTask DisposeAsync() => await context.CloseAsync();

    [Fact]
    public Task SameSiteLaxPageStaysSignedInAcrossManyShortAccessTokensAndAReload() =>
        AssertStaysSignedInAsync(CookieSettings.SameSiteLax, browser.Demo.SameSiteOrigin);

    [Fact]
    public Task CrossSitePartitionedPageStaysSignedInAcrossManyShortAccessTokensAndAReload() =>
        AssertStaysSignedInAsync(CookieSettings.CrossSite, browser.Demo.CrossSiteOrigin);

    private async Task AssertStaysSignedInAsync(CookieSettings settings, string origin)
    {
        await using var api = await ApiServer.StartAsync(browser, settings, ShortAccessTokens);
        var tab = await context.NewPageAsync();
        var network = await NetworkLog.AttachAsync(context, tab);
        var (page, onLoad) = await DemoPage.OpenAsync(tab, origin, api.BaseUrl);
        AssertUnauthorized(onLoad);
        Assert.Equal(401, await page.LastRefreshAsync()); // the one refresh it tried failed too
        var email = NewEmail();

        AssertSession(await page.SignupAsync(email, NewPassword()), 201, email);
        var before = await RefreshesAsync(page);
        var access = await AssertStoredAsync(context, api, ShortLifetime);
        var refresh = await AssertRefreshStoredAsync(context, api);
        await AssertHiddenFromScriptsAsync(page, access.Value);
        await AssertHiddenFromScriptsAsync(page, refresh.Value);

        // Four access lifetimes: every verify the page makes answers 200, because it renews ahead of expiry.
        var tokens = new HashSet<string>(StringComparer.Ordinal) { access.Value };
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < 4 * ShortLifetime)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);
            AssertSession(await page.VerifyAsync(), 200, email, ShortLifetime);
            Assert.Equal("signed-in", await page.SessionStateAsync());
            if (await StoredCookieAsync(context, api) is { } current)
            {
                tokens.Add(current.Value);
            }
        }

        // The renewals the page recorded and the count it shows, read in one evaluation (a renewal may complete between two reads).
        var snapshot = await page.Page.EvaluateAsync<System.Text.Json.JsonElement>(
            "() => ({ statuses: demo.refreshes.map(r => r.status ?? 0), shown: document.querySelector('#refresh-count').innerText })");
        var refreshes = snapshot.GetProperty("statuses").EnumerateArray().Select(e => e.GetInt32()).ToArray()[before.Length..];
        Assert.True(refreshes.Length >= 3, $"expected the page to renew at least 3 times in {watch.Elapsed}, it did {refreshes.Length}");
        Assert.All(refreshes, status => Assert.Equal(200, status));
        Assert.True(tokens.Count >= 3, $"expected at least 3 different access tokens, saw {tokens.Count}");
        Assert.Equal(refreshes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), snapshot.GetProperty("shown").GetString()); // renewals the page shows

        // Each renewal sent the refresh cookie (and only to /api/auth/refresh) and got both cookies back, rotated.
        var renewal = await network.WaitForAsync(x => x.Method == "POST" && x.Url.EndsWith(AuthApi.Refresh.Path, StringComparison.Ordinal), "refresh");
        Assert.Equal(200, renewal.Status);
        Assert.Contains(settings.RefreshCookieName + "=", renewal.RequestHeaders["Cookie"], StringComparison.Ordinal);
        Assert.DoesNotContain(settings.RefreshCookieName + "=" + refresh.Value, renewal.RequestHeaders["Cookie"], StringComparison.Ordinal);
        Assert.Contains(settings.CookieName + "=", renewal.ResponseHeaders["Set-Cookie"], StringComparison.Ordinal);
        Assert.Contains(settings.RefreshCookieName + "=", renewal.ResponseHeaders["Set-Cookie"], StringComparison.Ordinal);
        Assert.Empty(renewal.BlockedSetCookies);
        var rotated = await AssertRefreshStoredAsync(context, api);
        Assert.NotEqual(refresh.Value, rotated.Value);
        await AssertHiddenFromScriptsAsync(page, rotated.Value);

        // A reload keeps the session.
        AssertSession(await page.ReloadAsync(), 200, email, ShortLifetime);
        Assert.Equal("signed-in", await page.SessionStateAsync());

        // Away from the page longer than an access token lives: the browser drops the access cookie, the
        // refresh cookie stays. Coming back, the page's verify gets 401, refreshes once, retries: 200.
        await tab.GotoAsync("about:blank");
        await Task.Delay(ShortLifetime + TimeSpan.FromSeconds(1.5), TestContext.Current.CancellationToken);
        Assert.Null(await StoredCookieAsync(context, api));
        await AssertRefreshStoredAsync(context, api);
        var (back, onReturn) = await DemoPage.OpenAsync(tab, origin, api.BaseUrl);
        AssertSession(onReturn, 200, email, ShortLifetime);
        Assert.Equal(200, await back.LastRefreshAsync());
        Assert.Equal("signed-in", await back.SessionStateAsync());
        await AssertStoredAsync(context, api, ShortLifetime);
        AssertSession(await back.VerifyAsync(), 200, email, ShortLifetime);
    }

    [Fact]
    public async Task ParallelCallsAfterTheAccessTokenExpiredShareOneRefresh()
    {
        await using var api = await ApiServer.StartAsync(browser, CookieSettings.SameSiteLax, ShortAccessTokens);
        var tab = await context.NewPageAsync();
        var network = await NetworkLog.AttachAsync(context, tab);
        var (page, _) = await DemoPage.OpenAsync(tab, browser.Demo.SameSiteOrigin, api.BaseUrl);
        var email = NewEmail();
        AssertSession(await page.SignupAsync(email, NewPassword()), 201, email);

        // No renewal ahead of time: the access cookie expires, then three calls at once all get 401. The
        // refresh is held back half a second, so every 401 arrives while it is still in flight.
        await page.Page.EvaluateAsync("() => demo.stopRenewing()");
        await Task.Delay(ShortLifetime + TimeSpan.FromSeconds(1.5), TestContext.Current.CancellationToken);
        Assert.Null(await StoredCookieAsync(context, api));
        await tab.RouteAsync(api.BaseUrl + AuthApi.Refresh.Path, async route =>
        {
            await Task.Delay(500);
            await route.ContinueAsync();
        });
        var before = await RefreshesAsync(page);
        static bool IsRefresh(Exchange x) => x.Method == "POST" && x.Url.EndsWith(AuthApi.Refresh.Path, StringComparison.Ordinal);
        var sentBefore = network.Count(IsRefresh);
        var statuses = await page.Page.EvaluateAsync<int[][]>(
            "async () => (await Promise.all([demo.verify(), demo.sessions(), demo.verify()])).map(r => [r.status, r.refreshed])");

        Assert.All(statuses, s => Assert.Equal([200, 200], s));
        var refreshes = await RefreshesAsync(page);
        Assert.Equal([200], refreshes[before.Length..]);
        Assert.Equal(200, (await network.WaitForAsync(IsRefresh, "refresh")).Status);
        Assert.Equal(sentBefore + 1, network.Count(IsRefresh)); // one request reached the network, not three
    }

    /// <summary>
    /// Issue 32: the browser client shares one refresh across tabs. Two tabs of one browser, the access cookie expired
    /// in both (their renewal ahead of time off), each sends two calls at once: all four get 401, and one refresh reaches
    /// the network. The tab that held the Web Lock refreshed; the other waited for it and took its outcome (its
    /// BroadcastChannel message, or a verify on the cookies they share) instead of refreshing again.
    /// </summary>
    [Fact]
    public async Task ParallelCallsInTwoTabsAfterTheAccessTokenExpiredShareOneRefresh()
    {
        await using var api = await ApiServer.StartAsync(browser, CookieSettings.SameSiteLax, ShortAccessTokens);
        var email = NewEmail();
        var (tabA, _) = await DemoPage.OpenAsync(context, browser.Demo.SameSiteOrigin, api.BaseUrl);
        AssertSession(await tabA.SignupAsync(email, NewPassword()), 201, email);
        var (tabB, onLoadB) = await DemoPage.OpenAsync(context, browser.Demo.SameSiteOrigin, api.BaseUrl);
        AssertSession(onLoadB, 200, email, ShortLifetime); // the same cookie jar
        var refreshes = new List<string>();
        context.Request += (_, request) =>
        {
            if (request.Method == "POST" && request.Url.EndsWith(AuthApi.Refresh.Path, StringComparison.Ordinal))
            {
                lock (refreshes)
                {
                    refreshes.Add(request.Url);
                }
            }
        };

        foreach (var tab in new[] { tabA, tabB })
        {
            await tab.Page.EvaluateAsync("() => demo.stopRenewing()");
            Assert.Null(await tab.Page.EvaluateAsync<string?>("() => demo.client.nextRefreshAt && 'scheduled'"));
        }

        await Task.Delay(ShortLifetime + TimeSpan.FromSeconds(1.5), TestContext.Current.CancellationToken);
        Assert.Null(await StoredCookieAsync(context, api));
        // The refresh is held back half a second, so both tabs' 401s arrive while it is in flight.
        await context.RouteAsync(api.BaseUrl + AuthApi.Refresh.Path, async route =>
        {
            await Task.Delay(500);
            await route.ContinueAsync();
        });
        var before = new[] { await RefreshesAsync(tabA), await RefreshesAsync(tabB) };
        // Each call's answer, and the first answer its request got (the 401 before the refresh).
        const string TwoCalls =
            "async () => { const from = demo.exchanges.length; const calls = await Promise.all([demo.verify(), demo.sessions()]); "
            + "return calls.map(r => ({ request: r.request, status: r.status, first: demo.exchanges.slice(from).find(e => e.request === r.request).status })); }";

        var answers = await Task.WhenAll(
            tabA.Page.EvaluateAsync<System.Text.Json.JsonElement>(TwoCalls),
            tabB.Page.EvaluateAsync<System.Text.Json.JsonElement>(TwoCalls));

        foreach (var answer in answers.SelectMany(tab => tab.EnumerateArray()))
        {
            Assert.Equal(200, answer.GetProperty("status").GetInt32()); // after the shared refresh, sent once more
            Assert.Equal(401, answer.GetProperty("first").GetInt32());
        }

        lock (refreshes)
        {
            Assert.Single(refreshes); // one refresh reached the network for four 401s in two tabs
        }

        var made = new[] { (await RefreshesAsync(tabA))[before[0].Length..], (await RefreshesAsync(tabB))[before[1].Length..] };
        Assert.Equal([200], made.SelectMany(statuses => statuses));
        Assert.Equal("signed-in", await tabA.SessionStateAsync());
        Assert.Equal("signed-in", await tabB.SessionStateAsync());
        await AssertStoredAsync(context, api, ShortLifetime);
        // The tab that did not refresh learnt the new session from the other one (BroadcastChannel), or from a verify.
        Assert.Equal(
            await tabA.Page.EvaluateAsync<string>("() => demo.client.session.expiresAt"),
            await tabB.Page.EvaluateAsync<string>("() => demo.client.session.expiresAt"));
    }

    [Fact]
    public async Task LogoutEverywhereInOneTabEndsTheSessionInTheOtherTabAndInAnotherBrowserOnAnotherInstance()
    {
        // Two API instances sharing storage and keys, as a scaled-out Function App has.
        var shared = TestApi.DefaultSettings(browser.AzuriteConnectionString)
            .Where(s => (s.Key.StartsWith("Auth:Storage:", StringComparison.Ordinal) && s.Key.EndsWith("Table", StringComparison.Ordinal)) || s.Key == "Auth:Jwt:SigningKey")
            .ToDictionary();
        shared["Auth:Jwt:Issuer"] = "https://api.browser.test";
        await using var api = await ApiServer.StartAsync(browser, CookieSettings.SameSiteLax, shared);
        await using var other = await ApiServer.StartAsync(browser, CookieSettings.SameSiteLax, shared);
        var email = NewEmail();
        var password = NewPassword();
        var (tabA, _) = await DemoPage.OpenAsync(context, browser.Demo.SameSiteOrigin, api.BaseUrl);
        AssertSession(await tabA.SignupAsync(email, password), 201, email);
        var secondTab = await context.NewPageAsync();
        var network = await NetworkLog.AttachAsync(context, secondTab);
        var (tabB, onLoadB) = await DemoPage.OpenAsync(secondTab, browser.Demo.SameSiteOrigin, api.BaseUrl);
        AssertSession(onLoadB, 200, email);
        var copies = new[] { await AssertStoredAsync(context, api), await AssertRefreshStoredAsync(context, api) };

        // Another browser, signed in to the other instance.
        await using var elsewhere = await browser.NewContextAsync();
        var (pageC, _) = await DemoPage.OpenAsync(elsewhere, browser.Demo.SameSiteOrigin, other.BaseUrl);
        AssertSession(await pageC.LoginAsync(email, password), 200, email);
        AssertSession(await pageC.VerifyAsync(), 200, email);
        var list = await tabA.SessionsAsync();
        AssertStatus(list, 200);
        Assert.Equal(2, list.Body!.Value.GetArrayLength()); // this browser's session and the other one
        Assert.Single(list.Body.Value.EnumerateArray(), s => s.GetProperty("current").GetBoolean());

        AssertStatus(await tabA.LogoutAllAsync(), 204);
        Assert.Equal("signed-out", await tabA.SessionStateAsync());
        Assert.Contains("everywhere", await tabA.SessionTextAsync(), StringComparison.Ordinal);
        Assert.Null(await StoredCookieAsync(context, api));
        Assert.Null(await StoredRefreshCookieAsync(context, api));

        // The other tab holds (copies of) the old cookies: its verify is refused, its one refresh too.
        await context.AddCookiesAsync(copies.Select(ToCookie));
        AssertUnauthorized(await tabB.VerifyAsync());
        Assert.Equal(401, await tabB.LastRefreshAsync());
        Assert.Equal("signed-out", await tabB.SessionStateAsync());
        var verify = await network.WaitForAsync(x => x.Method == "GET" && x.Url.EndsWith(AuthApi.Verify.Path, StringComparison.Ordinal), "verify with the old cookies");
        Assert.Contains(CookieSettings.SameSiteLax.CookieName + "=" + copies[0].Value, verify.RequestHeaders["Cookie"], StringComparison.Ordinal);
        Assert.Equal(401, verify.Status);
        var refresh = await network.WaitForAsync(x => x.Method == "POST" && x.Url.EndsWith(AuthApi.Refresh.Path, StringComparison.Ordinal), "refresh with the old cookie");
        Assert.Contains(CookieSettings.SameSiteLax.RefreshCookieName + "=" + copies[1].Value, refresh.RequestHeaders["Cookie"], StringComparison.Ordinal);
        Assert.Equal(401, refresh.Status);
        Assert.Null(await StoredCookieAsync(context, api)); // the 401 refresh cleared both
        Assert.Null(await StoredRefreshCookieAsync(context, api));

        // The other browser, on the other instance: its access token is revoked there within about a second
        // (the revocation sync), and its refresh is refused.
        var watch = Stopwatch.StartNew();
        ApiCall call;
        while ((call = await pageC.VerifyAsync()).Status == 200 && watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"the other instance refused the access token after {watch.Elapsed.TotalMilliseconds:F0} ms");
        AssertUnauthorized(call);
        Assert.Equal(401, await pageC.LastRefreshAsync());
        Assert.Equal("signed-out", await pageC.SessionStateAsync());
        // Only the device cookie stays: it marks a browser that has signed in before (login backoff), not a session.
        Assert.Equal(["device"], (await elsewhere.CookiesAsync()).Select(c => c.Name));
    }

    [Fact]
    public async Task RefreshCookieIsHiddenFromScriptsAndSentOnlyToTheAuthRoutes()
    {
        await using var api = await ApiServer.StartAsync(browser, CookieSettings.SameSiteLax);
        var tab = await context.NewPageAsync();
        var network = await NetworkLog.AttachAsync(context, tab);
        var (page, _) = await DemoPage.OpenAsync(tab, browser.Demo.SameSiteOrigin, api.BaseUrl);
        var email = NewEmail();
        AssertSession(await page.SignupAsync(email, NewPassword()), 201, email);
        var access = await AssertStoredAsync(context, api);
        var refresh = await AssertRefreshStoredAsync(context, api);
        await AssertHiddenFromScriptsAsync(page, refresh.Value);
        var names = await page.Page.EvaluateAsync<string>("() => document.cookie");
        Assert.DoesNotContain("refresh", names, StringComparison.Ordinal);

        // Control: a request under /api/auth carries both cookies.
        AssertSession(await page.VerifyAsync(), 200, email);
        var verify = await network.WaitForAsync(x => x.Method == "GET" && x.Url.EndsWith(AuthApi.Verify.Path, StringComparison.Ordinal) && x.Status == 200, "verify");
        Assert.Contains("auth=" + access.Value, verify.RequestHeaders["Cookie"], StringComparison.Ordinal);
        Assert.Contains("refresh=" + refresh.Value, verify.RequestHeaders["Cookie"], StringComparison.Ordinal);

        // Elsewhere on the API's host (404 problems) only the access cookie goes; /api/authority only
        // shares a prefix with /api/auth, which is not a path match.
        foreach (var path in new[] { "/api/profile", "/api/authority", "/" })
        {
            var status = await page.Page.EvaluateAsync<int>(
                "async url => (await fetch(url, { credentials: 'include' })).status", api.BaseUrl + path);
            Assert.Equal(404, status); // CORS let the page read it: the request went out credentialed
            var sent = await network.WaitForAsync(x => x.Method == "GET" && new Uri(x.Url).AbsolutePath == path, path);
            Assert.Equal(404, sent.Status);
            Assert.StartsWith("application/problem+json", sent.ResponseHeaders["Content-Type"], StringComparison.Ordinal);
            Assert.Contains("auth=" + access.Value, sent.RequestHeaders["Cookie"], StringComparison.Ordinal);
            Assert.DoesNotContain("refresh=", sent.RequestHeaders["Cookie"], StringComparison.Ordinal);
            Assert.DoesNotContain(refresh.Value, sent.RequestHeaders["Cookie"], StringComparison.Ordinal);
        }
    }

    /// <summary>The status of every refresh the page made, in order (the one on load, without a session, answers 401).</summary>
    private static Task<int[]> RefreshesAsync(DemoPage page) => page.Page.EvaluateAsync<int[]>("() => demo.refreshes.map(r => r.status ?? 0)");
}
