using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Serverless.Browser.Tests.Infrastructure;
using Serverless.Testing;
using static Serverless.Browser.Tests.Infrastructure.Session;

namespace Serverless.Browser.Tests;

/// <summary>
/// The mail flows as a person goes through them: the demo page asks, a real maildev receives the mail (read
/// through its HTTP API), and the link in it opens the demo site's /auth/reset or /auth/confirm page.
/// </summary>
public sealed partial class EmailLinkTests(BrowserFixture browser) : LaxApiTest(browser)
{
    [Fact]
    public async Task ForgotPasswordMailLinkSetsANewPasswordThatSignsIn()
    {
        var email = NewEmail();
        var oldPassword = NewPassword();
        var newPassword = NewPassword();
        var (page, _) = await DemoPage.OpenAsync(Context, Browser.Demo.SameSiteOrigin, Api.BaseUrl);
        AssertSession(await page.SignupAsync(email, oldPassword), 201, email);

        AssertStatus(await page.ForgotPasswordAsync(email), 202);

        Assert.Equal(("sent", "If an account exists for this address, we sent a link to reset its password."), await page.MessageAsync("forgot-message"));
        var link = await LinkFromMailAsync(email, "Reset your Serverless Auth password", "reset");
        var requests = new List<IRequest>();
        var resetPage = await DemoPage.OpenLinkAsync(Context, link);
        resetPage.Page.Request += (_, request) => requests.Add(request);
        Assert.Equal(Browser.Demo.SameSiteOrigin + "/auth/reset/", resetPage.Page.Url); // the token left the address bar

        AssertStatus(await resetPage.ResetPasswordAsync(newPassword), 204);

        Assert.Equal("reset", (await resetPage.MessageAsync("reset-message")).State);
        var reset = Assert.Single(requests, r => r.Method == "POST" && r.Url.EndsWith("/api/auth/password/reset", StringComparison.Ordinal));
        Assert.DoesNotContain("referer", (await reset.AllHeadersAsync()).Keys); // no-referrer: the page's own URL never travels
        var onLoad = await resetPage.FollowToDemoPageAsync("#to-login");
        AssertUnauthorized(onLoad); // the reset ended the session signup started in this browser
        Assert.Equal(Api.BaseUrl, await resetPage.ApiBaseAsync()); // remembered: the link from the mail has no ?api=
        AssertUnauthorized(await resetPage.LoginAsync(email, oldPassword));
        var login = await resetPage.LoginAsync(email, newPassword);
        AssertSession(login, 200, email);
        Assert.True(login.Body!.Value.GetProperty("emailConfirmed").GetBoolean()); // the reset mail reached the owner
        Assert.Contains("Email confirmed.", await resetPage.SessionTextAsync(), StringComparison.Ordinal);

        var again = await DemoPage.OpenLinkAsync(Context, link);
        AssertStatus(await again.ResetPasswordAsync(NewPassword()), 400); // a link works once
        Assert.Equal("error", (await again.MessageAsync("reset-message")).State);
        Assert.True(await again.Page.IsVisibleAsync("#to-forgot"));
    }

    [Fact]
    public async Task ConfirmationMailLinkConfirmsTheSignedInUser()
    {
        var email = NewEmail();
        var (page, _) = await DemoPage.OpenAsync(Context, Browser.Demo.SameSiteOrigin, Api.BaseUrl);
        var signup = await page.SignupAsync(email, NewPassword());
        AssertSession(signup, 201, email);
        Assert.False(signup.Body!.Value.GetProperty("emailConfirmed").GetBoolean());
        Assert.Equal("false", await page.Page.GetAttributeAsync("#session", "data-email-confirmed"));
        Assert.True(await page.Page.IsVisibleAsync("#resend"));

        var confirmPage = await DemoPage.OpenLinkAsync(Context, await LinkFromMailAsync(email, "Confirm your email for Serverless Auth", "confirm"));
        var confirmed = await confirmPage.FirstCallAsync();

        AssertStatus(confirmed, 200);
        Assert.True(confirmed.Body!.Value.GetProperty("emailConfirmed").GetBoolean());
        Assert.Equal(Browser.Demo.SameSiteOrigin + "/auth/confirm/", confirmPage.Page.Url);
        Assert.Equal(("confirmed", email + " is confirmed."), await confirmPage.MessageAsync("confirm-message"));
        // The confirm answer brought fresh cookies: the first tab's verify shows the flag without a new login.
        AssertSession(await page.VerifyAsync(), 200, email);
        Assert.Equal("true", await page.Page.GetAttributeAsync("#session", "data-email-confirmed"));
        Assert.False(await page.Page.IsVisibleAsync("#resend"));
    }

    /// <summary>
    /// The link opened in another browser (the phone, or after a signup that had to wait for the link): the
    /// address is confirmed, no session appears there, and the page offers the sign-in, which then works.
    /// </summary>
    [Fact]
    public async Task ConfirmationLinkOpenedElsewhereConfirmsAndOffersTheSignIn()
    {
        var email = NewEmail();
        var password = NewPassword();
        var (page, _) = await DemoPage.OpenAsync(Context, Browser.Demo.SameSiteOrigin, Api.BaseUrl);
        AssertSession(await page.SignupAsync(email, password), 201, email);
        var link = await LinkFromMailAsync(email, "Confirm your email for Serverless Auth", "confirm");

        var elsewhere = await Browser.NewContextAsync();
        try
        {
            // Another browser has not used the demo page on this origin: it is told which API the demo uses.
            var (setup, _) = await DemoPage.OpenAsync(elsewhere, Browser.Demo.SameSiteOrigin, Api.BaseUrl);
            var confirmPage = await DemoPage.OpenLinkAsync(elsewhere, link);
            AssertStatus(await confirmPage.FirstCallAsync(), 200);
            await confirmPage.Page.WaitForSelectorAsync("#to-login", new() { State = WaitForSelectorState.Visible });

            Assert.Equal(("confirmed", email + " is confirmed. Sign in to continue."), await confirmPage.MessageAsync("confirm-message"));
            AssertUnauthorized(await confirmPage.FollowToDemoPageAsync("#to-login"));
            var login = await confirmPage.LoginAsync(email, password);
            AssertSession(login, 200, email);
            Assert.True(login.Body!.Value.GetProperty("emailConfirmed").GetBoolean());
            await setup.Page.CloseAsync();
        }
        finally
        {
            await elsewhere.CloseAsync();
        }
    }

    /// <summary>
    /// The address changes only through the link mailed to the new address. Opened in the browser that asked,
    /// it renews that session (verify shows the new address); the new address then signs in with the same
    /// password, the old one no longer does, and it is free for a new account.
    /// </summary>
    [Fact]
    public async Task ChangingTheEmailFromTheDemoPageSignsInWithTheNewAddress()
    {
        var oldEmail = NewEmail();
        var newEmail = NewEmail();
        var password = NewPassword();
        var (page, _) = await DemoPage.OpenAsync(Context, Browser.Demo.SameSiteOrigin, Api.BaseUrl);
        Assert.False(await page.Page.IsVisibleAsync("#change-email-form")); // signed out: nothing to change
        var signup = await page.SignupAsync(oldEmail, password);
        AssertSession(signup, 201, oldEmail);
        var userId = signup.Body!.Value.GetProperty("userId").GetString();

        var change = await page.ChangeEmailAsync(newEmail, password);

        AssertStatus(change, 202);
        Assert.Equal("accepted", change.Body!.Value.GetProperty("status").GetString());
        Assert.Equal(("sent", $"Check {newEmail} for a link. Your address changes when you open it."), await page.MessageAsync("change-email-message"));
        Assert.Equal("", await page.Page.InputValueAsync("#change-email-password"));
        AssertSession(await page.VerifyAsync(), 200, oldEmail); // nothing changes before the link is opened
        var link = await LinkFromMailAsync(newEmail, subject: null, "email-change");
        // The current address is told, without a link: the confirmation mail from signup, then the notice.
        var oldMails = await Browser.Maildev.WaitForEmailsAsync(oldEmail, count: 2, cancellationToken: TestContext.Current.CancellationToken);
        var notice = Assert.Single(oldMails, m => m.Subject != "Confirm your email for Serverless Auth");
        Assert.DoesNotContain("token=", notice.Text ?? "", StringComparison.Ordinal);

        var linkPage = await DemoPage.OpenLinkAsync(Context, link);
        var confirmed = await linkPage.FirstCallAsync();

        AssertStatus(confirmed, 200);
        Assert.Equal(userId, confirmed.Body!.Value.GetProperty("userId").GetString());
        Assert.Equal(newEmail, confirmed.Body.Value.GetProperty("email").GetString());
        Assert.True(confirmed.Body.Value.GetProperty("emailConfirmed").GetBoolean());
        Assert.Equal(Browser.Demo.SameSiteOrigin + "/auth/email-change/", linkPage.Page.Url); // the token left the address bar
        await linkPage.Page.WaitForSelectorAsync("#email-change-session[data-state]"); // the page's own verify answered
        Assert.Equal(("changed", $"Your email address is now {newEmail}."), await linkPage.MessageAsync("email-change-message"));
        Assert.Equal(("signed-in", $"Signed in as {newEmail}."), await linkPage.MessageAsync("email-change-session"));
        Assert.False(await linkPage.Page.IsVisibleAsync("#to-login"));
        // The confirm answer renewed this browser's cookies: the first tab's verify shows the new address at once.
        var verify = await page.VerifyAsync();
        AssertSession(verify, 200, newEmail);
        Assert.Equal(userId, verify.Body!.Value.GetProperty("userId").GetString());
        Assert.True(verify.Body.Value.GetProperty("emailConfirmed").GetBoolean()); // the link reached the new address
        Assert.StartsWith($"Signed in as {newEmail} ", await page.SessionTextAsync(), StringComparison.Ordinal);

        AssertStatus(await page.LogoutAsync(), 204);
        AssertUnauthorized(await page.LoginAsync(oldEmail, password));
        var login = await page.LoginAsync(newEmail, password);
        AssertSession(login, 200, newEmail);
        Assert.Equal(userId, login.Body!.Value.GetProperty("userId").GetString());
        Assert.Equal("signed-in", await page.SessionStateAsync());

        // The old address is free: it signs up as a new account.
        AssertStatus(await page.LogoutAsync(), 204);
        var again = await page.SignupAsync(oldEmail, NewPassword());
        AssertSession(again, 201, oldEmail);
        Assert.NotEqual(userId, again.Body!.Value.GetProperty("userId").GetString());

        var reused = await DemoPage.OpenLinkAsync(Context, link);
        var refused = await reused.FirstCallAsync();
        AssertStatus(refused, 400); // a link works once
        Assert.Equal("invalid_token", refused.Body!.Value.GetProperty("code").GetString());
        Assert.Equal("error", (await reused.MessageAsync("email-change-message")).State);
        Assert.True(await reused.Page.IsVisibleAsync("#to-demo"));
    }

    /// <summary>
    /// Waits for the mail with <paramref name="subject"/> (any subject when null: the first mail that links to the
    /// page) to <paramref name="email"/> and returns its link to the demo site's /auth/<paramref name="page"/>.
    /// </summary>
    private async Task<string> LinkFromMailAsync(string email, string? subject, string page)
    {
        var target = $"{Browser.Demo.SameSiteOrigin}/auth/{page}?token=";
        var deadline = DateTime.UtcNow.AddSeconds(30);
        ReceivedMail? mail;
        while ((mail = (await Browser.Maildev.GetEmailsAsync(TestContext.Current.CancellationToken)).FirstOrDefault(m =>
            m.IsTo(email) && (subject is null ? (m.Text ?? "").Contains(target, StringComparison.Ordinal) : m.Subject == subject))) is null)
        {
            Assert.True(DateTime.UtcNow < deadline, $"No mail '{subject ?? target}' to {email} within 30 s.");
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }

        var link = Assert.Single(Link().Matches(mail.Text ?? "")).Value;
        Assert.StartsWith(target, link, StringComparison.Ordinal);
        Assert.Contains(link, mail.Html ?? "", StringComparison.Ordinal);
        return link;
    }

    [GeneratedRegex(@"http://\S+/auth/[\w-]+\?token=[A-Za-z0-9_-]{43}")]
    private static partial Regex Link();
}
