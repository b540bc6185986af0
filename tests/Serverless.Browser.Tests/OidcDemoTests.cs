using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Playwright;
using Serverless.Browser.Tests.Infrastructure;
using Serverless.Testing;
using static Serverless.Browser.Tests.Infrastructure.Session;

namespace Serverless.Browser.Tests;

/// <summary>
/// Social sign-in driven through the demo page in Chromium (issue 30), against a real OpenID Provider (oidc-provider on
/// 127.0.0.1, its development login page filled in as a person would): "Sign in with Test provider" navigates this tab to
/// the API's start, the provider's login page, the API's callback and back to the demo page with a one-time code, which
/// the page exchanges with the verifier it kept in sessionStorage. Same-site (page and API on localhost) and cross-site
/// (page on 127.0.0.1, SameSite=None; Partitioned cookies: the exchange, a credentialed fetch from the page, puts them in
/// the page's partition); linking from the page, and the second step of a TOTP account after the provider.
/// </summary>
public sealed class OidcDemoTests(BrowserFixture browser) : IAsyncLifetime
{
    private const string SignInButton = "Sign in with Test provider";
    private const string LinkButton = "Link Test provider";
    private const string ExchangeRequest = "POST /api/auth/oidc/exchange";

    /// <summary>The demo's words for ?error=account_exists (app.js, OIDC_ERRORS).</summary>
    private const string AccountExists = "An account already uses this address. Log in with its password (or passkey), then link the provider under \"Linked providers\".";

    private OidcProviderProcess idp = null!;
    private IBrowserContext context = null!;

    public async ValueTask InitializeAsync()
    {
        // The API serves on http://localhost:<port>: a loopback redirect URI matches on any port.
        idp = await OidcProviderProcess.StartNewAsync(
            "serverless-demo", "demo-client-secret", ["http://localhost/api/auth/oidc/test/callback"], cancellationToken: TestContext.Current.CancellationToken);
        context = await browser.NewContextAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await context.CloseAsync();
        await idp.DisposeAsync();
    }

    [Fact]
    public async Task TheDemoSignsInWithTheTestProviderAndAgainToTheSameAccount()
    {
        await using var api = await StartApiAsync(CookieSettings.SameSiteLax);
        var (page, onLoad) = await DemoPage.OpenAsync(context, browser.Demo.SameSiteOrigin, api.BaseUrl);
        AssertUnauthorized(onLoad);
        var login = NewLogin();
        var email = login + "@example.test"; // the test provider's address for a login without '@' (verified)

        var (first, userId, loggedIn) = await SignInWithProviderAsync(page, login, email);
        Assert.True(loggedIn, "a fresh browser has no session at the provider: its login page should show");
        Assert.True(first.Body!.Value.GetProperty("emailConfirmed").GetBoolean()); // a trusted provider's verified address
        await AssertStoredAsync(context, api);
        await AssertRefreshStoredAsync(context, api);
        Assert.DoesNotContain(await context.CookiesAsync(), cookie => cookie.Name.EndsWith("-oidc", StringComparison.Ordinal)); // the callback spent the flow's cookie
        AssertSameUser(await page.VerifyAsync(), email, userId);

        // Signed in with the provider: it is listed under Linked providers, with the address it gave, and no Link button is left.
        await WaitForIdentityCountAsync(page, 1);
        var listed = page.Page.Locator("#identities-list li[data-provider=\"test\"]");
        Assert.Equal("Test provider", await listed.Locator(".identity-name").InnerTextAsync());
        Assert.Contains(email, await listed.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await page.Page.Locator("#identity-link-buttons button").CountAsync());

        AssertStatus(await page.LogoutAsync(), 204);
        AssertUnauthorized(await page.VerifyAsync());
        Assert.True(await page.Page.IsHiddenAsync("#identities-form"));

        // Again: the same account. The provider may skip its login page (its own session cookie remains).
        Assert.Equal(userId, (await SignInWithProviderAsync(page, login, email)).UserId);
        AssertSameUser(await page.VerifyAsync(), email, userId);

        // A reload does not exchange the spent code again: the page only verifies its session.
        AssertSameUser(await page.ReloadAsync(), email, userId);
    }

    [Fact]
    public async Task CrossSiteTheExchangePutsTheSessionCookiesInTheFrontendsPartition()
    {
        await using var api = await StartApiAsync(CookieSettings.CrossSite);
        var (page, onLoad) = await DemoPage.OpenAsync(context, browser.Demo.CrossSiteOrigin, api.BaseUrl);
        AssertUnauthorized(onLoad);
        var login = NewLogin();
        var email = login + "@example.test";

        var (_, userId, loggedIn) = await SignInWithProviderAsync(page, login, email);
        Assert.True(loggedIn, "a fresh browser has no session at the provider: its login page should show");

        // Set by the page's own credentialed fetch, so kept in the jar of the page's top-level site, where its requests find them.
        var cookie = await AssertStoredAsync(context, api);
        Assert.Equal("__Host-auth", cookie.Name);
        Assert.Equal("http://127.0.0.1", cookie.PartitionKey);
        Assert.Equal("http://127.0.0.1", (await AssertRefreshStoredAsync(context, api)).PartitionKey);
        await AssertHiddenFromScriptsAsync(page, cookie.Value);
        AssertSameUser(await page.VerifyAsync(), email, userId);
        AssertSameUser(await page.ReloadAsync(), email, userId);

        AssertStatus(await page.LogoutAsync(), 204);
        Assert.Null(await StoredCookieAsync(context, api));
        AssertUnauthorized(await page.VerifyAsync());

        Assert.Equal(userId, (await SignInWithProviderAsync(page, login, email)).UserId);
        Assert.Equal("http://127.0.0.1", (await AssertStoredAsync(context, api)).PartitionKey);
        AssertSameUser(await page.VerifyAsync(), email, userId);
    }

    [Fact]
    public async Task AnAddressOfAPasswordAccountIsRefusedUntilTheSignedInUserLinksTheProviderAndUnlinkingEndsIt()
    {
        await using var api = await StartApiAsync(CookieSettings.SameSiteLax);
        var (page, email, password, userId) = await SignUpAsync(api);
        AssertStatus(await page.LogoutAsync(), 204);

        // The provider vouches for the same address (the login is the address): no automatic link, the page says why.
        var (refused, loggedIn, refusedTo) = await ThroughProviderAsync(page, SignInButton, email);
        Assert.True(loggedIn);
        Assert.Equal($"{browser.Demo.SameSiteOrigin}/index.html?error=account_exists", refusedTo);
        AssertUnauthorized(refused); // the page's verify after the return: no session
        Assert.Equal(AccountExists, await page.WaitForMessageAsync("oidc-message", "error"));
        Assert.Equal("signed-out", await page.SessionStateAsync());
        await AssertReturnCleanedAsync(page, browser.Demo.SameSiteOrigin);

        // Signed in with the password: nothing linked yet, a Link button per provider, and the error gone.
        AssertSession(await page.LoginAsync(email, password), 200, email);
        await WaitForIdentityCountAsync(page, 0);
        Assert.Equal("No provider linked yet.", await page.Page.InnerTextAsync("#identities-list"));
        Assert.Equal("", await page.Page.InnerTextAsync("#oidc-message"));

        // Linking asks for the password first (this session checked no second factor): refused without it, on the panel.
        var bare = await page.ClickAsync(ButtonNamed(LinkButton));
        Assert.Equal("POST /api/auth/oidc/test/link", bare.Request);
        AssertStatus(bare, 400);
        var passwordErrors = bare.Body!.Value.GetProperty("errors").GetProperty("password").EnumerateArray().Select(message => message.GetString());
        Assert.Equal(string.Join(' ', passwordErrors), await page.WaitForMessageAsync("identity-message", "error"));

        // With it: off to the provider (whose session from before may skip its login page) and back with a link code,
        // which this page's session confirms with its verifier (the exchange answers status linked).
        await page.Page.FillAsync("#identity-password", password);
        var (linked, _, linkedTo) = await ThroughProviderAsync(page, LinkButton, email);
        Assert.StartsWith($"{browser.Demo.SameSiteOrigin}/index.html?code=", linkedTo, StringComparison.Ordinal);
        AssertSameUser(linked, email, userId);
        Assert.Equal("Linked Test provider: it signs in to this account now.", await page.WaitForMessageAsync("identity-message", "changed"));
        Assert.Equal(
            "linked",
            await page.Page.EvaluateAsync<string?>("() => demo.calls.find(c => c.request === 'POST /api/auth/oidc/exchange')?.body?.status ?? null"));
        await WaitForIdentityCountAsync(page, 1);
        Assert.Contains(email, await page.Page.InnerTextAsync("#identities-list li[data-provider=\"test\"]"), StringComparison.Ordinal);

        // Now the provider signs in to this account.
        AssertStatus(await page.LogoutAsync(), 204);
        Assert.Equal(userId, (await SignInWithProviderAsync(page, email, email)).UserId);

        // Unlinked (the password remains a way in), it no longer does: the address is the account's again.
        await WaitForIdentityCountAsync(page, 1);
        var unlinked = await page.ClickAsync("#identities-list li[data-provider=\"test\"] .identity-unlink");
        Assert.Equal("POST /api/auth/identities/unlink", unlinked.Request);
        AssertStatus(unlinked, 204);
        Assert.Equal("Unlinked Test provider: it no longer signs in to this account.", await page.WaitForMessageAsync("identity-message", "changed"));
        await WaitForIdentityCountAsync(page, 0);
        Assert.Equal(1, await page.Page.Locator(ButtonNamed(LinkButton)).CountAsync());
        AssertStatus(await page.LogoutAsync(), 204);
        var (refusedAgain, _, _) = await ThroughProviderAsync(page, SignInButton, email);
        AssertUnauthorized(refusedAgain);
        Assert.Equal(AccountExists, await page.WaitForMessageAsync("oidc-message", "error"));
    }

    [Fact]
    public async Task ATotpAccountSignedInByTheProviderTakesTheDemosSecondStep()
    {
        await using var api = await StartApiAsync(CookieSettings.SameSiteLax);
        var (page, email, password, userId) = await SignUpAsync(api);
        await page.Page.FillAsync("#identity-password", password);
        var (linked, _, _) = await ThroughProviderAsync(page, LinkButton, email);
        AssertSameUser(linked, email, userId);
        await page.WaitForMessageAsync("identity-message", "changed");

        var (setup, secret) = await page.SetUpTotpAsync(password);
        AssertStatus(setup, 200);
        var (enableCode, enableStep) = await TotpCodes.NowAsync(secret);
        AssertStatus((await page.EnableTotpAsync(enableCode)).Call, 200);
        AssertStatus(await page.LogoutAsync(), 204);

        // The provider's sign-in is the first step only: the exchange opens the page's second step, with no session yet.
        var (exchanged, _, _) = await ThroughProviderAsync(page, SignInButton, email);
        Assert.Equal(ExchangeRequest, exchanged.Request);
        AssertStatus(exchanged, 200);
        Assert.Equal("mfa_required", exchanged.Body!.Value.GetProperty("status").GetString());
        Assert.Equal("mfa-required", await page.SessionStateAsync());
        Assert.StartsWith("The provider signed you in. Enter a code from your authenticator app", await page.SessionTextAsync(), StringComparison.Ordinal);
        Assert.False(await page.Page.IsHiddenAsync("#mfa-step-form"));
        Assert.Null(await StoredCookieAsync(context, api));

        var (code, _) = await TotpCodes.AfterAsync(secret, enableStep);
        var signedIn = await page.SecondStepAsync(code);
        await AssertSignedInShownAsync(page, signedIn, email, ["fed", "otp", "mfa"]);
        Assert.Equal(userId, signedIn.Body!.Value.GetProperty("userId").GetString());
        AssertSameUser(await page.VerifyAsync(), email, userId);
    }

    /// <summary>An API (see <see cref="ApiServer"/>) with the test provider configured: trusted for email, as Google is.</summary>
    private Task<ApiServer> StartApiAsync(CookieSettings cookie) =>
        ApiServer.StartAsync(browser, cookie, new Dictionary<string, string?>
        {
            ["Auth:Oidc:Providers:test:Authority"] = idp.Authority,
            ["Auth:Oidc:Providers:test:ClientId"] = idp.ClientId,
            ["Auth:Oidc:Providers:test:ClientSecret"] = idp.ClientSecret,
            ["Auth:Oidc:Providers:test:DisplayName"] = "Test provider",
            ["Auth:Oidc:Providers:test:TrustEmail"] = "true",
        });

    /// <summary>The demo page (same-site), signed up with a password: the Linked providers panel shows.</summary>
    private async Task<(DemoPage Page, string Email, string Password, string UserId)> SignUpAsync(ApiServer api)
    {
        var (page, _) = await DemoPage.OpenAsync(context, browser.Demo.SameSiteOrigin, api.BaseUrl);
        var email = NewEmail();
        var password = NewPassword();
        var signedUp = await page.SignupAsync(email, password);
        AssertSession(signedUp, 201, email);
        await WaitForIdentityCountAsync(page, 0);
        return (page, email, password, signedUp.Body!.Value.GetProperty("userId").GetString()!);
    }

    /// <summary>
    /// Clicks the page's button named <paramref name="button"/> that leaves for the provider (a sign-in, or a link), answers
    /// the provider's pages as a person would (its login page: <paramref name="login"/> with any password; its consent page,
    /// which oidc-provider shows a native client on every authorization: Continue), and once this tab is back on the demo
    /// page returns the first call the page made there (the exchange, or a verify), whether the provider asked to log in
    /// (not when its own session from before remains), and the address the API sent the tab back to (before the page
    /// cleaned it).
    /// </summary>
    private async Task<(ApiCall Call, bool LoggedIn, string ReturnedTo)> ThroughProviderAsync(DemoPage page, string button, string login)
    {
        var tab = page.Page;
        await tab.BringToFrontAsync();
        var origin = new Uri(tab.Url).GetLeftPart(UriPartial.Authority);
        var interaction = idp.Authority + "/interaction/";
        bool IsReturn(string url) => url.StartsWith(origin + "/", StringComparison.Ordinal)
            && QueryHelpers.ParseQuery(new Uri(url).Query).Keys.Intersect(["code", "error"]).Any();
        var visited = new List<string>();
        string[] Visited()
        {
            lock (visited)
            {
                return [.. visited];
            }
        }

        void Record(object? sender, IFrame frame)
        {
            if (frame == tab.MainFrame)
            {
                lock (visited)
                {
                    visited.Add(frame.Url);
                }
            }
        }

        tab.FrameNavigated += Record;
        try
        {
            var loggedIn = false;
            string? returnedTo = null;
            Func<Task> act = () => tab.ClickAsync(ButtonNamed(button));
            for (var step = 0; step < 4; step++)
            {
                // Each of the provider's pages has its own address (a new interaction id), so "another page" is unambiguous.
                // The return address is kept as it committed: the page soon takes its query out of the address bar.
                var from = tab.Url;
                var next = tab.WaitForURLAsync(
                    url =>
                    {
                        if (url != from && IsReturn(url))
                        {
                            returnedTo = url;
                        }

                        return url != from && (returnedTo is not null || url.StartsWith(interaction, StringComparison.Ordinal));
                    },
                    new() { WaitUntil = WaitUntilState.Commit });
                await act();
                try
                {
                    await next;
                }
                catch (TimeoutException e)
                {
                    throw new TimeoutException(
                        $"Neither the provider's next page nor {origin}: the tab went to {string.Join(" -> ", Visited())} and shows: {await tab.InnerTextAsync("body")}\n{idp.Errors}", e);
                }

                if (returnedTo is not null)
                {
                    return (await page.FirstCallAsync(), loggedIn, returnedTo);
                }

                var prompt = await tab.InputValueAsync("input[name=prompt]");
                if (prompt == "login")
                {
                    loggedIn = true;
                    await tab.FillAsync("input[name=login]", login);
                    await tab.FillAsync("input[name=password]", "any password");
                }
                else
                {
                    Assert.Equal("consent", prompt);
                }

                act = () => tab.ClickAsync("button[type=submit]");
            }

            throw new InvalidOperationException($"Still at the provider after its login and consent pages: {string.Join(" -> ", Visited())}");
        }
        finally
        {
            tab.FrameNavigated -= Record;
        }
    }

    private static string ButtonNamed(string name) => $"button:text-is(\"{name}\")";

    /// <summary>
    /// "Sign in with Test provider" as <paramref name="login"/>: back on the page (returnTo: the page without the query it
    /// was opened with) with a one-time code and nothing else, which the page exchanged for a session (amr fed) and shows,
    /// and took out of the address bar, as the verifier out of sessionStorage. Returns the exchange, the user id, and whether
    /// the provider asked to log in.
    /// </summary>
    private async Task<(ApiCall Exchange, string UserId, bool LoggedIn)> SignInWithProviderAsync(DemoPage page, string login, string email)
    {
        var origin = new Uri(page.Page.Url).GetLeftPart(UriPartial.Authority);
        var (call, loggedIn, returnedTo) = await ThroughProviderAsync(page, SignInButton, login);
        Assert.StartsWith(origin + "/index.html?code=", returnedTo, StringComparison.Ordinal);
        Assert.Equal("code", Assert.Single(QueryHelpers.ParseQuery(new Uri(returnedTo).Query).Keys));
        Assert.Equal(ExchangeRequest, call.Request);
        await AssertSignedInShownAsync(page, call, email, ["fed"]);
        await AssertReturnCleanedAsync(page, origin);
        return (call, call.Body!.Value.GetProperty("userId").GetString()!, loggedIn);
    }

    /// <summary>The page took the provider's answer out of the address bar and the verifier out of sessionStorage.</summary>
    private static async Task AssertReturnCleanedAsync(DemoPage page, string origin)
    {
        Assert.Equal(origin + "/index.html", page.Page.Url);
        Assert.Equal(0, await page.Page.EvaluateAsync<int>("() => sessionStorage.length"));
    }

    private static void AssertSameUser(ApiCall call, string email, string userId)
    {
        AssertSession(call, 200, email);
        Assert.Equal(userId, call.Body!.Value.GetProperty("userId").GetString());
    }

    private static async Task WaitForIdentityCountAsync(DemoPage page, int count) =>
        await page.Page.WaitForFunctionAsync("n => document.getElementById('identities-list').dataset.count === String(n)", count);

    private static string NewLogin() => $"demo-{Guid.NewGuid():N}";
}
