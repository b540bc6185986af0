using Microsoft.Playwright;
using Serverless.Auth.Http;
using Serverless.Browser.Tests.Infrastructure;
using static Serverless.Browser.Tests.Infrastructure.Session;

namespace Serverless.Browser.Tests;

/// <summary>
/// The local setup: page on http://localhost:&lt;port&gt;, API on http://localhost:&lt;other port&gt; (same site),
/// cookie SameSite=Lax, Secure=false. Every call is the demo page's own fetch in Chromium.
/// </summary>
public sealed class SameSiteSessionTests(BrowserFixture browser) : LaxApiTest(browser)
{
    [Fact]
    public async Task SignupKeepsAnHttpOnlySessionAcrossReloadUntilLogout()
    {
        var (page, onLoad) = await DemoPage.OpenAsync(Context, Browser.Demo.SameSiteOrigin, Api.BaseUrl);
        Assert.Equal(Api.BaseUrl, await page.ApiBaseAsync()); // ?api= reached the page's config
        AssertUnauthorized(onLoad);
        var email = NewEmail();

        var signup = await page.SignupAsync(email, NewPassword());

        AssertSession(signup, 201, email);
        var cookie = await AssertStoredAsync(Context, Api);
        Assert.Equal("auth", cookie.Name);
        await AssertHiddenFromScriptsAsync(page, cookie.Value);
        AssertSession(await page.VerifyAsync(), 200, email);

        AssertSession(await page.ReloadAsync(), 200, email);
        AssertSession(await page.VerifyAsync(), 200, email);
        Assert.Equal("signed-in", await page.SessionStateAsync());
        await AssertHiddenFromScriptsAsync(page, cookie.Value);

        AssertStatus(await page.LogoutAsync(), 204);
        Assert.Null(await StoredCookieAsync(Context, Api)); // the logout response cleared it
        AssertUnauthorized(await page.VerifyAsync());
        Assert.Equal("signed-out", await page.SessionStateAsync());
        AssertUnauthorized(await page.ReloadAsync());
    }

    [Fact]
    public async Task TheDemoPageShowsTheSignedInUsersNotesFromTheProtectedSampleApi()
    {
        var (page, _) = await DemoPage.OpenAsync(Context, Browser.Demo.SameSiteOrigin, Api.BaseUrl);
        var email = NewEmail();
        AssertSession(await page.SignupAsync(email, NewPassword()), 201, email);
        Assert.False(await page.Page.IsHiddenAsync("#notes-form"));

        // Each add (POST, 201) lists the notes again (GET): newest first, as text (markup is shown, never rendered).
        await page.AddNoteAsync("<b>first</b> note");
        Assert.Equal(["<b>first</b> note"], await page.NotesAsync(1));
        await page.AddNoteAsync("second note");
        Assert.Equal(["second note", "<b>first</b> note"], await page.NotesAsync(2));

        // Another user in a fresh visit sees none of them.
        await Context.ClearCookiesAsync();
        var other = NewEmail();
        AssertSession(await page.SignupAsync(other, NewPassword()), 201, other);
        await page.Page.ClickAsync("#load-notes");
        Assert.Empty(await page.NotesAsync(0));
        AssertStatus(await page.LogoutAsync(), 204);
        Assert.True(await page.Page.IsHiddenAsync("#notes-form"));
    }

    [Fact]
    public async Task LoginStoresTheCookieAndTheDemoShowsTheSession()
    {
        var email = NewEmail();
        var password = NewPassword();
        var (page, _) = await DemoPage.OpenAsync(Context, Browser.Demo.SameSiteOrigin, Api.BaseUrl);
        AssertSession(await page.SignupAsync(email, password), 201, email);
        await Context.ClearCookiesAsync(); // a new visit: only the login can put a cookie back
        AssertUnauthorized(await page.VerifyAsync());

        var login = await page.LoginAsync(email, password);

        AssertSession(login, 200, email);
        var cookie = await AssertStoredAsync(Context, Api);
        await AssertHiddenFromScriptsAsync(page, cookie.Value);
        AssertSession(await page.VerifyAsync(), 200, email);
        Assert.Equal("signed-in", await page.SessionStateAsync());
        Assert.Contains(email, await page.SessionTextAsync(), StringComparison.Ordinal);

        var screenshot = await Artifacts.ScreenshotAsync(page, "demo-after-login");
        Assert.True(new FileInfo(screenshot).Length > 0, $"{screenshot} is empty");
    }

    [Fact]
    public async Task LogoutInOneTabEndsTheSessionInAnotherTab()
    {
        var email = NewEmail();
        var (tabA, _) = await DemoPage.OpenAsync(Context, Browser.Demo.SameSiteOrigin, Api.BaseUrl);
        AssertSession(await tabA.SignupAsync(email, NewPassword()), 201, email);
        var secondTab = await Context.NewPageAsync();
        var network = await NetworkLog.AttachAsync(Context, secondTab);
        var (tabB, onLoadB) = await DemoPage.OpenAsync(secondTab, Browser.Demo.SameSiteOrigin, Api.BaseUrl);
        AssertSession(onLoadB, 200, email); // same browser Context, same cookie jar
        var copy = await AssertStoredAsync(Context, Api);

        AssertStatus(await tabA.LogoutAsync(), 204);

        AssertUnauthorized(await tabB.VerifyAsync());
        Assert.Equal("signed-out", await tabB.SessionStateAsync());

        // The server revoked the token itself, not only the browser's copy: put the old cookie back
        // (as a second browser holding the same token would) and it is still refused, and cleared again.
        await Context.AddCookiesAsync([ToCookie(copy)]);
        Assert.NotNull(await StoredCookieAsync(Context, Api));
        AssertUnauthorized(await tabB.VerifyAsync());
        var refused = await network.WaitForAsync(
            x => x.Method == "GET" && x.Url.EndsWith(AuthApi.Verify.Path, StringComparison.Ordinal) && x.RequestHeaders.ContainsKey("Cookie"),
            "verify with the old cookie");
        Assert.Contains("auth=" + copy.Value, refused.RequestHeaders["Cookie"], StringComparison.Ordinal); // it was sent ...
        Assert.Equal(401, refused.Status); // ... and refused
        Assert.Null(await StoredCookieAsync(Context, Api)); // and the dead cookie was cleared
    }
}
