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

    /// <summary>Waits for the mail with <paramref name="subject"/> to <paramref name="email"/> and returns its link to the demo site's /auth/<paramref name="page"/>.</summary>
    private async Task<string> LinkFromMailAsync(string email, string subject, string page)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        ReceivedMail? mail;
        while ((mail = (await Browser.Maildev.GetEmailsAsync(TestContext.Current.CancellationToken)).FirstOrDefault(m => m.IsTo(email) && m.Subject == subject)) is null)
        {
            Assert.True(DateTime.UtcNow < deadline, $"No mail '{subject}' to {email} within 30 s.");
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }

        var link = Assert.Single(Link().Matches(mail.Text ?? "")).Value;
        Assert.StartsWith($"{Browser.Demo.SameSiteOrigin}/auth/{page}?token=", link, StringComparison.Ordinal);
        Assert.Contains(link, mail.Html ?? "", StringComparison.Ordinal);
        return link;
    }

    [GeneratedRegex(@"http://\S+/auth/\w+\?token=[A-Za-z0-9_-]{43}")]
    private static partial Regex Link();
}
