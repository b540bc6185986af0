using System.Text.Json;
using Microsoft.Playwright;
using Serverless.Browser.Tests.Infrastructure;
using static Serverless.Browser.Tests.Infrastructure.Session;

namespace Serverless.Browser.Tests;

/// <summary>
/// The demo page's Recent activity panel (issue 31) in Chromium: it appears with a session and lists
/// <c>GET /api/auth/activity</c> as the API answered it, newest first, the event of the session looking marked; its
/// Refresh renews an expired access token once, like the page's other calls; and what the client sent (its
/// User-Agent) is shown as text, never as markup. Same-site local setup, as the other demo tests.
/// </summary>
public sealed class ActivityDemoTests(BrowserFixture browser) : LaxApiTest(browser)
{
    private const string ActivityPath = "/api/auth/activity";

    /// <summary>A failed login is recorded off the response path: how long the list may take to show it.</summary>
    private static readonly TimeSpan FailedLoginWait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task TheDemoListsTheSignInTheFailedAttemptTheLogoutAndTheSignupNewestFirst()
    {
        var (page, _) = await DemoPage.OpenAsync(Context, Browser.Demo.SameSiteOrigin, Api.BaseUrl);
        Assert.True(await page.Page.IsHiddenAsync("#activity")); // no session, no panel
        var email = NewEmail();
        var password = NewPassword();
        var started = DateTimeOffset.UtcNow;

        // The sign-up opens the panel, which lists itself (quietly: "Last response" keeps the signup).
        AssertSession(await page.SignupAsync(email, password), 201, email);
        var afterSignup = await WaitForQuietListingAsync(page);
        var signup = Assert.Single(afterSignup.EnumerateArray());
        Assert.Equal("signup", signup.GetProperty("type").GetString());
        Assert.True(signup.GetProperty("current").GetBoolean());
        Assert.StartsWith("POST /api/auth/signup", await page.Page.InnerTextAsync("#result-request"), StringComparison.Ordinal);
        Assert.Equal(["signup"], await RenderedTypesAsync(page));

        // Signed out: the panel hides and keeps nothing of the account.
        AssertStatus(await page.LogoutAsync(), 204);
        Assert.True(await page.Page.IsHiddenAsync("#activity"));
        Assert.Equal(0, await page.Page.Locator("#activity-list li").CountAsync());
        Assert.Null(await page.Page.EvaluateAsync<string?>("() => demo.lastActivity && 'kept'"));

        // A wrong password, then the right one: the panel comes back with the new session.
        AssertUnauthorized(await page.LoginAsync(email, password + "x"));
        Assert.True(await page.Page.IsHiddenAsync("#activity"));
        await AssertSignedInShownAsync(page, await page.LoginAsync(email, password), email, ["pwd"]);
        await WaitForQuietListingAsync(page);

        // The failure is written after its 401 went out: Refresh until it shows (or give up after a few seconds).
        var deadline = DateTimeOffset.UtcNow + FailedLoginWait;
        var (call, wire) = await RefreshAsync(page);
        while (wire.GetArrayLength() < 4 && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(250, TestContext.Current.CancellationToken);
            (call, wire) = await RefreshAsync(page);
        }

        // The JSON on the wire: the four events, newest first, only the sign-in's session current, nothing else in them.
        AssertStatus(call, 200);
        Assert.True(JsonElement.DeepEquals(call.Body!.Value, wire), $"page parsed: {call.Body}; wire: {wire}");
        var events = wire.EnumerateArray().ToArray();
        Assert.Equal(["login.succeeded", "login.failed", "logout", "signup"], events.Select(e => e.GetProperty("type").GetString()));
        Assert.Equal([true, false, false, false], events.Select(e => e.GetProperty("current").GetBoolean()));
        Assert.All(events, e => Assert.Equal(["type", "at", "ipPrefix", "userAgent", "current"], e.EnumerateObject().Select(p => p.Name)));
        var times = events.Select(e => e.GetProperty("at").GetDateTimeOffset()).ToArray();
        Assert.Equal(times.OrderByDescending(at => at), times);
        Assert.All(times, at => Assert.InRange(at, started.AddSeconds(-5), DateTimeOffset.UtcNow.AddSeconds(5)));
        var userAgent = await page.Page.EvaluateAsync<string>("() => navigator.userAgent");
        Assert.All(events, e => Assert.Equal(userAgent, e.GetProperty("userAgent").GetString()));
        var ipPrefix = events[0].GetProperty("ipPrefix").GetString();
        Assert.Contains(ipPrefix, new[] { "127.0.0.0/24", "::/48" }); // localhost, cut to its /24 or /48
        Assert.All(events, e => Assert.Equal(ipPrefix, e.GetProperty("ipPrefix").GetString()));

        // The page: one entry per event in the same order, each a label and the raw type, its local time, the address
        // prefix, the browser in short (the whole User-Agent as the tooltip); "this session" on the sign-in only.
        var rows = await RenderedAsync(page);
        Assert.Equal(events.Select(e => e.GetProperty("type").GetString()), rows.Select(r => r.Type));
        Assert.Equal(["Signed in", "Failed sign-in", "Signed out", "Account created"], rows.Select(r => r.Label));
        Assert.Equal(rows.Select(r => r.Type), rows.Select(r => r.Raw));
        Assert.Equal(["true", "false", "false", "false"], rows.Select(r => r.Current));
        Assert.Equal(["this session", null, null, null], rows.Select(r => r.Badge));
        Assert.Equal([null, "failure", null, null], rows.Select(r => r.Outcome));
        Assert.Equal(events.Select(e => e.GetProperty("at").GetString()), rows.Select(r => r.At));
        Assert.All(rows, r => Assert.Equal(r.Local, r.Shown)); // the browser's local time, not the UTC string
        Assert.All(rows, r => Assert.Equal($"from {ipPrefix}", r.Ip));
        Assert.All(rows, r => Assert.Equal(userAgent, r.AgentTitle));
        Assert.All(rows, r => Assert.Matches(@"^(Headless )?Chrome \d+ on Linux$", r.Agent));
        Assert.Equal("4", await page.Page.GetAttributeAsync("#activity-list", "data-count"));
        Assert.StartsWith("GET /api/auth/activity", await page.Page.InnerTextAsync("#result-request"), StringComparison.Ordinal);
        Assert.True(File.Exists(await Artifacts.ScreenshotAsync(page, "demo-activity")));

        // Refresh with the access token gone (as when it expired): one POST /api/auth/refresh, then the same list.
        await Context.ClearCookiesAsync(new() { Name = Api.Cookie.CookieName });
        var (renewed, renewedWire) = await RefreshAsync(page);
        AssertStatus(renewed, 200);
        Assert.Equal(200, await page.LastRefreshAsync());
        Assert.True(JsonElement.DeepEquals(wire, renewedWire), $"before: {wire}; after the refresh: {renewedWire}");
        Assert.Equal(rows.Select(r => r.Type), (await RenderedAsync(page)).Select(r => r.Type));
    }

    [Fact]
    public async Task WhatTheClientSentIsShownAsTextNeverAsMarkup()
    {
        const string Markup = "<img src=x onerror=\"pwned=1\"><b>x</b>";
        var context = await Browser.Browser.NewContextAsync(new BrowserNewContextOptions { UserAgent = Markup });
        try
        {
            context.SetDefaultTimeout(BrowserFixture.ActionTimeoutMs);
            var (page, _) = await DemoPage.OpenAsync(context, Browser.Demo.SameSiteOrigin, Api.BaseUrl);
            var email = NewEmail();
            AssertSession(await page.SignupAsync(email, NewPassword()), 201, email);
            var listed = Assert.Single((await WaitForQuietListingAsync(page)).EnumerateArray());
            Assert.Equal(Markup, listed.GetProperty("userAgent").GetString());

            var row = Assert.Single(await RenderedAsync(page));
            Assert.Equal(Markup, row.Agent); // short of 40 characters and no browser the page knows: shown whole
            Assert.Equal(Markup, row.AgentTitle);
            Assert.Equal(0, await page.Page.Locator("#activity-list img, #activity-list b").CountAsync());
            Assert.False(await page.Page.EvaluateAsync<bool>("() => 'pwned' in window"));
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    /// <summary>The list the panel made by itself (quiet: not in "Last response") once it appeared: the body it got.</summary>
    private static async Task<JsonElement> WaitForQuietListingAsync(DemoPage page)
    {
        await page.Page.WaitForFunctionAsync(
            "() => demo.lastActivity !== null && document.getElementById('activity-list').dataset.count !== undefined");
        var json = await page.Page.EvaluateAsync<string>("() => JSON.stringify(demo.lastActivity)");
        using var document = JsonDocument.Parse(json);
        var result = document.RootElement;
        Assert.True(result.GetProperty("status").GetInt32() == 200, $"expected 200: {result}");
        return result.GetProperty("body").Clone();
    }

    /// <summary>Clicks Refresh: the call as the page got it, and the body as it came over the wire, once the list shows it.</summary>
    private static async Task<(ApiCall Call, JsonElement Wire)> RefreshAsync(DemoPage page)
    {
        ApiCall? call = null;
        var response = await page.Page.RunAndWaitForResponseAsync(
            async () => call = await page.ClickAsync("#activity-refresh"),
            r => r.Request.Method == "GET" && new Uri(r.Url).AbsolutePath == ActivityPath && r.Status != 401);
        await page.Page.WaitForFunctionAsync("() => demo.lastActivity === demo.last");
        using var document = JsonDocument.Parse(await response.TextAsync());
        return (call!, document.RootElement.Clone());
    }

    private static async Task<IReadOnlyList<string?>> RenderedTypesAsync(DemoPage page) =>
        [.. (await RenderedAsync(page)).Select(r => r.Type)];

    /// <summary>Each entry of the list as the page rendered it.</summary>
    private static async Task<Row[]> RenderedAsync(DemoPage page)
    {
        var json = await page.Page.EvaluateAsync<string>("""
            () => JSON.stringify([...document.querySelectorAll('#activity-list li')].map((li) => ({
              type: li.dataset.type ?? null,
              current: li.dataset.current ?? null,
              outcome: li.dataset.outcome ?? null,
              label: li.querySelector('.activity-label')?.textContent ?? null,
              raw: li.querySelector('.activity-type')?.textContent ?? null,
              badge: li.querySelector('.activity-current')?.textContent ?? null,
              at: li.querySelector('time')?.dateTime ?? null,
              shown: li.querySelector('time')?.textContent ?? null,
              local: li.querySelector('time') ? new Date(li.querySelector('time').dateTime).toLocaleString() : null,
              ip: li.querySelector('.activity-ip')?.textContent ?? null,
              agent: li.querySelector('.activity-agent')?.textContent ?? null,
              agentTitle: li.querySelector('.activity-agent')?.title ?? null,
            })))
            """);
        return JsonSerializer.Deserialize<Row[]>(json, JsonSerializerOptions.Web)!;
    }

    private sealed record Row(
        string? Type, string? Current, string? Outcome, string? Label, string? Raw, string? Badge,
        string? At, string? Shown, string? Local, string? Ip, string? Agent, string? AgentTitle);
}
