using System.Net;
using System.Text.Json;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;

namespace Serverless.Auth.Tests.Email;

/// <summary>Confirmation and password reset end to end: real Azurite (tables and queue), the queue sender, a real maildev.</summary>
public sealed class EmailFlowTests(MailApi mail, AzuriteFixture azurite) : IClassFixture<MailApi>
{
    private const string Password = "plum-orchard-lantern-4821";
    private const string NewPassword = "quartz-harbor-meadow-7390";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private SessionClient Browser() => new(mail.Api.Client);

    [Fact]
    public async Task SignupMailsAConfirmationLinkThatConfirmsOnceAndRefreshesThisSessionsCookies()
    {
        var email = Emails.Unique("confirm");
        var laptop = Browser();
        var signup = await ResponseAssert.JsonAsync(await laptop.SignupAsync(email, Password), HttpStatusCode.Created);
        Assert.False(signup.GetProperty("emailConfirmed").GetBoolean());
        var phone = Browser();
        Assert.False((await ResponseAssert.JsonAsync(await phone.LoginAsync(email, Password), HttpStatusCode.OK)).GetProperty("emailConfirmed").GetBoolean());
        Assert.False((await ResponseAssert.JsonAsync(await laptop.VerifyAsync(), HttpStatusCode.OK)).GetProperty("emailConfirmed").GetBoolean());

        var message = Assert.Single(await mail.Maildev.WaitForEmailsAsync(email, cancellationToken: Ct));
        Assert.Equal("Confirm your email for Serverless Auth", message.Subject);
        Assert.Equal("no-reply@app.test", Assert.Single(message.From).Address);
        Assert.DoesNotContain("<img", message.Html, StringComparison.OrdinalIgnoreCase);
        var token = MailLinks.Token(message, "confirm");

        var confirm = await laptop.ConfirmEmailAsync(token);
        var body = await ResponseAssert.JsonAsync(confirm, HttpStatusCode.OK);
        Assert.Equal(signup.GetProperty("userId").GetString(), body.GetProperty("userId").GetString());
        Assert.Equal(email, body.GetProperty("email").GetString());
        Assert.True(body.GetProperty("emailConfirmed").GetBoolean());
        Assert.Contains(SessionClient.SetCookies(confirm), c => c.Name == "auth");

        // This browser sees it at once, through its fresh access token.
        Assert.True((await ResponseAssert.JsonAsync(await laptop.VerifyAsync(), HttpStatusCode.OK)).GetProperty("emailConfirmed").GetBoolean());
        // The other device's token still says false until its next refresh, which reads the session row.
        Assert.False((await ResponseAssert.JsonAsync(await phone.VerifyAsync(), HttpStatusCode.OK)).GetProperty("emailConfirmed").GetBoolean());
        Assert.True((await ResponseAssert.JsonAsync(await phone.RefreshAsync(), HttpStatusCode.OK)).GetProperty("emailConfirmed").GetBoolean());
        // A new login says so too (stored on the account).
        Assert.True((await ResponseAssert.JsonAsync(await Browser().LoginAsync(email, Password), HttpStatusCode.OK)).GetProperty("emailConfirmed").GetBoolean());

        var reuse = await ResponseAssert.ProblemAsync(await Browser().ConfirmEmailAsync(token), HttpStatusCode.BadRequest);
        Assert.Equal("invalid_token", reuse.GetProperty("code").GetString());
    }

    [Fact]
    public async Task ConfirmingWithoutASessionSetsNoCookie()
    {
        var email = Emails.Unique("confirm-anon");
        Assert.Equal(HttpStatusCode.Created, (await Browser().SignupAsync(email, Password)).StatusCode);
        var token = MailLinks.Token(Assert.Single(await mail.Maildev.WaitForEmailsAsync(email, cancellationToken: Ct)), "confirm");

        var confirm = await Browser().ConfirmEmailAsync(token);

        Assert.Equal(HttpStatusCode.OK, confirm.StatusCode);
        Assert.Empty(SessionClient.SetCookies(confirm));
    }

    /// <summary>
    /// Issue 22, item 11: a confirmation link plus an access token (a bearer header or the access cookie
    /// alone) must not mint a session. Access tokens are short-lived and meant for APIs; only the holder of
    /// the user's refresh cookie may get rotated cookies, as from refresh itself.
    /// </summary>
    [Theory]
    [InlineData("bearer")]
    [InlineData("access cookie")]
    [InlineData("another user's refresh cookie")]
    public async Task ConfirmingWithAnythingButThatUsersRefreshCookieSetsNoCookie(string credential)
    {
        var email = Emails.Unique("confirm-credential");
        var owner = Browser();
        Assert.Equal(HttpStatusCode.Created, (await owner.SignupAsync(email, Password)).StatusCode);
        var other = Browser();
        Assert.Equal(HttpStatusCode.Created, (await other.SignupAsync(Emails.Unique("confirm-other"), Password)).StatusCode);
        var token = MailLinks.Token(Assert.Single(await mail.Maildev.WaitForEmailsAsync(email, cancellationToken: Ct)), "confirm");

        using var request = new HttpRequestMessage(HttpMethod.Post, Serverless.Auth.Http.AuthApi.EmailConfirm.Path)
        {
            Content = System.Net.Http.Json.JsonContent.Create(new { token }),
        };
        switch (credential)
        {
            case "bearer":
                request.Headers.Authorization = new("Bearer", owner.Access);
                break;
            case "access cookie":
                request.Headers.Add("Cookie", "auth=" + owner.Access);
                break;
            default:
                request.Headers.Add("Cookie", "refresh=" + other.Refresh);
                break;
        }

        var confirm = await mail.Api.SendAsync(request);

        var body = await ResponseAssert.JsonAsync(confirm, HttpStatusCode.OK);
        Assert.True(body.GetProperty("emailConfirmed").GetBoolean());
        Assert.Empty(SessionClient.SetCookies(confirm));
        // The owner's own session sees the confirmation at its next refresh, as every other device does.
        Assert.True((await ResponseAssert.JsonAsync(await owner.RefreshAsync(), HttpStatusCode.OK)).GetProperty("emailConfirmed").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, (await other.VerifyAsync()).StatusCode);
    }

    [Fact]
    public async Task ConfirmingWithThatUsersRefreshCookieAloneRotatesTheSession()
    {
        var email = Emails.Unique("confirm-refresh");
        var owner = Browser();
        Assert.Equal(HttpStatusCode.Created, (await owner.SignupAsync(email, Password)).StatusCode);
        var token = MailLinks.Token(Assert.Single(await mail.Maildev.WaitForEmailsAsync(email, cancellationToken: Ct)), "confirm");
        var oldRefresh = owner.Refresh;

        using var request = new HttpRequestMessage(HttpMethod.Post, Serverless.Auth.Http.AuthApi.EmailConfirm.Path)
        {
            Content = System.Net.Http.Json.JsonContent.Create(new { token }),
        };
        // The browser's refresh cookie (with the device cookie it travels with), no access token.
        request.Headers.Add("Cookie", $"refresh={oldRefresh}; device={owner.Device}");
        var confirm = await mail.Api.SendAsync(request);

        await ResponseAssert.JsonAsync(confirm, HttpStatusCode.OK);
        var access = SessionClient.Cookie(confirm, "auth").Value.ToString();
        Assert.NotEqual(oldRefresh, SessionClient.Cookie(confirm, "refresh").Value.ToString());
        Assert.True((await ResponseAssert.JsonAsync(await mail.Api.VerifyAsync(bearer: access), HttpStatusCode.OK)).GetProperty("emailConfirmed").GetBoolean());
    }

    [Fact]
    public async Task ForgotMailsAResetLinkThatSetsTheNewPasswordAndEndsEverySession()
    {
        var email = Emails.Unique("reset");
        var laptop = Browser();
        Assert.Equal(HttpStatusCode.Created, (await laptop.SignupAsync(email, Password)).StatusCode);
        var phone = Browser();
        Assert.Equal(HttpStatusCode.OK, (await phone.LoginAsync(email, Password)).StatusCode);
        var stolen = laptop.CopyTo(mail.Api.Client);
        // An attacker's failures put the account into backoff; the reset clears it.
        for (var i = 0; i < 6; i++)
        {
            await Browser().LoginAsync(email, "wrong-password-guess-" + i);
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, (await Browser().LoginAsync(email, Password)).StatusCode);

        var forgot = await laptop.ForgotPasswordAsync(email);
        Assert.Equal(HttpStatusCode.Accepted, forgot.StatusCode);
        var message = (await mail.Maildev.WaitForEmailsAsync(email, 2, cancellationToken: Ct)).Single(m => m.Subject.StartsWith("Reset", StringComparison.Ordinal));
        Assert.Equal("Reset your Serverless Auth password", message.Subject);
        var token = MailLinks.Token(message, "reset");

        var reset = await laptop.ResetPasswordAsync(token, NewPassword);

        Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        Assert.Contains(SessionClient.SetCookies(reset), c => c.Name == "auth" && c.Value.Length == 0);
        Assert.Contains(SessionClient.SetCookies(reset), c => c.Name == "refresh" && c.Value.Length == 0);
        foreach (var oldSession in new[] { phone, stolen })
        {
            await ResponseAssert.ProblemAsync(await oldSession.VerifyAsync(), HttpStatusCode.Unauthorized);
            await ResponseAssert.ProblemAsync(await oldSession.RefreshAsync(), HttpStatusCode.Unauthorized);
        }

        await ResponseAssert.ProblemAsync(await Browser().LoginAsync(email, Password), HttpStatusCode.Unauthorized);
        var login = await ResponseAssert.JsonAsync(await Browser().LoginAsync(email, NewPassword), HttpStatusCode.OK);
        // The mail reached the owner: the address counts as confirmed.
        Assert.True(login.GetProperty("emailConfirmed").GetBoolean());

        var reuse = await ResponseAssert.ProblemAsync(await Browser().ResetPasswordAsync(token, NewPassword + "-again"), HttpStatusCode.BadRequest);
        Assert.Equal("invalid_token", reuse.GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.OK, (await Browser().LoginAsync(email, NewPassword)).StatusCode);
    }

    [Fact]
    public async Task ANewerResetLinkVoidsTheOlderOne()
    {
        var email = Emails.Unique("supersede");
        Assert.Equal(HttpStatusCode.Created, (await Browser().SignupAsync(email, Password)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await Browser().ForgotPasswordAsync(email)).StatusCode);
        var first = MailLinks.Token((await mail.Maildev.WaitForEmailsAsync(email, 2, cancellationToken: Ct)).Single(m => m.Subject.StartsWith("Reset", StringComparison.Ordinal)), "reset");
        Assert.Equal(HttpStatusCode.Accepted, (await Browser().ForgotPasswordAsync(email)).StatusCode);
        var second = MailLinks.Token((await mail.Maildev.WaitForEmailsAsync(email, 3, cancellationToken: Ct)).Where(m => m.Subject.StartsWith("Reset", StringComparison.Ordinal)).Last(), "reset");
        Assert.NotEqual(first, second);

        await ResponseAssert.ProblemAsync(await Browser().ResetPasswordAsync(first, NewPassword), HttpStatusCode.BadRequest);
        Assert.Equal(HttpStatusCode.NoContent, (await Browser().ResetPasswordAsync(second, NewPassword)).StatusCode);
    }

    [Fact]
    public async Task APolicyFailureNamesTheFieldAndLeavesTheLinkUsable()
    {
        var email = Emails.Unique("weak");
        Assert.Equal(HttpStatusCode.Created, (await Browser().SignupAsync(email, Password)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await Browser().ForgotPasswordAsync(email)).StatusCode);
        var token = MailLinks.Token((await mail.Maildev.WaitForEmailsAsync(email, 2, cancellationToken: Ct)).Single(m => m.Subject.StartsWith("Reset", StringComparison.Ordinal)), "reset");

        var weak = await ResponseAssert.ProblemAsync(await Browser().ResetPasswordAsync(token, "password123"), HttpStatusCode.BadRequest);

        Assert.True(weak.GetProperty("errors").TryGetProperty("newPassword", out _));
        Assert.Equal(HttpStatusCode.NoContent, (await Browser().ResetPasswordAsync(token, NewPassword)).StatusCode);
    }

    [Fact]
    public async Task TwoConcurrentUsesOfOneResetLinkGiveExactlyOneSuccess()
    {
        var email = Emails.Unique("race-reset");
        Assert.Equal(HttpStatusCode.Created, (await Browser().SignupAsync(email, Password)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await Browser().ForgotPasswordAsync(email)).StatusCode);
        var token = MailLinks.Token((await mail.Maildev.WaitForEmailsAsync(email, 2, cancellationToken: Ct)).Single(m => m.Subject.StartsWith("Reset", StringComparison.Ordinal)), "reset");

        var answers = await Task.WhenAll(
            Browser().ResetPasswordAsync(token, NewPassword),
            Browser().ResetPasswordAsync(token, "other-orbit-canyon-5512"));

        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.NoContent);
        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.BadRequest);
        var winner = answers[0].StatusCode == HttpStatusCode.NoContent ? NewPassword : "other-orbit-canyon-5512";
        var loser = winner == NewPassword ? "other-orbit-canyon-5512" : NewPassword;
        Assert.Equal(HttpStatusCode.OK, (await Browser().LoginAsync(email, winner)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Browser().LoginAsync(email, loser)).StatusCode);
    }

    [Fact]
    public async Task TwoConcurrentUsesOfOneConfirmationLinkGiveExactlyOneSuccess()
    {
        var email = Emails.Unique("race-confirm");
        Assert.Equal(HttpStatusCode.Created, (await Browser().SignupAsync(email, Password)).StatusCode);
        var token = MailLinks.Token(Assert.Single(await mail.Maildev.WaitForEmailsAsync(email, cancellationToken: Ct)), "confirm");

        var answers = await Task.WhenAll(Browser().ConfirmEmailAsync(token), Browser().ConfirmEmailAsync(token), Browser().ConfirmEmailAsync(token));

        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.OK);
        Assert.Equal(2, answers.Count(a => a.StatusCode == HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task ForgotAndResendAnswerTheSameForKnownAndUnknownAddressesAndMailOnlyRealAccounts()
    {
        var known = Emails.Unique("known");
        var unknown = Emails.Unique("unknown");
        Assert.Equal(HttpStatusCode.Created, (await Browser().SignupAsync(known, Password)).StatusCode);
        await mail.Maildev.WaitForEmailsAsync(known, cancellationToken: Ct);

        foreach (var ask in new Func<SessionClient, string, Task<HttpResponseMessage>>[] { (b, e) => b.ForgotPasswordAsync(e), (b, e) => b.ResendConfirmationAsync(e) })
        {
            var forKnown = await ask(Browser(), known);
            var forUnknown = await ask(Browser(), unknown);
            Assert.Equal(HttpStatusCode.Accepted, forKnown.StatusCode);
            Assert.Equal(forKnown.StatusCode, forUnknown.StatusCode);
            Assert.Equal(await forKnown.Content.ReadAsStringAsync(Ct), await forUnknown.Content.ReadAsStringAsync(Ct));
            Assert.Equal("{\"status\":\"accepted\"}", await forKnown.Content.ReadAsStringAsync(Ct));
            Assert.Equal(forKnown.Content.Headers.ContentType, forUnknown.Content.Headers.ContentType);
            Assert.Equal(
                forKnown.Headers.Select(h => h.Key).Order(StringComparer.Ordinal),
                forUnknown.Headers.Select(h => h.Key).Order(StringComparer.Ordinal));
        }

        // The known account gets its reset mail and a second confirmation mail; the unknown address gets nothing.
        await mail.Maildev.WaitForEmailsAsync(known, 3, cancellationToken: Ct);
        await Task.Delay(TimeSpan.FromSeconds(1), Ct);
        Assert.DoesNotContain(await mail.Maildev.GetEmailsAsync(Ct), m => m.IsTo(unknown));
    }

    [Fact]
    public async Task AConfirmedAddressGetsNoMoreConfirmationMail()
    {
        var email = Emails.Unique("confirmed");
        Assert.Equal(HttpStatusCode.Created, (await Browser().SignupAsync(email, Password)).StatusCode);
        var token = MailLinks.Token(Assert.Single(await mail.Maildev.WaitForEmailsAsync(email, cancellationToken: Ct)), "confirm");
        Assert.Equal(HttpStatusCode.OK, (await Browser().ConfirmEmailAsync(token)).StatusCode);

        Assert.Equal(HttpStatusCode.Accepted, (await Browser().ResendConfirmationAsync(email)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await Browser().ForgotPasswordAsync(email)).StatusCode);

        // The reset mail (queued after the resend) arrives, and no second confirmation came before it.
        var mails = await mail.Maildev.WaitForEmailsAsync(email, 2, cancellationToken: Ct);
        Assert.Single(mails, m => m.Subject.StartsWith("Confirm", StringComparison.Ordinal));
    }

    [Fact]
    public async Task APasswordChangeVoidsAnOutstandingResetLinkAndAResetLinkIsNoConfirmationLink()
    {
        var email = Emails.Unique("change-voids");
        var browser = Browser();
        Assert.Equal(HttpStatusCode.Created, (await browser.SignupAsync(email, Password)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await browser.ForgotPasswordAsync(email)).StatusCode);
        var token = MailLinks.Token((await mail.Maildev.WaitForEmailsAsync(email, 2, cancellationToken: Ct)).Single(m => m.Subject.StartsWith("Reset", StringComparison.Ordinal)), "reset");

        await ResponseAssert.ProblemAsync(await Browser().ConfirmEmailAsync(token), HttpStatusCode.BadRequest);
        Assert.Equal(HttpStatusCode.OK, (await browser.ChangePasswordAsync(Password, NewPassword)).StatusCode);

        await ResponseAssert.ProblemAsync(await Browser().ResetPasswordAsync(token, "attacker-chosen-passphrase-99"), HttpStatusCode.BadRequest);
        Assert.Equal(HttpStatusCode.OK, (await Browser().LoginAsync(email, NewPassword)).StatusCode);
    }

    [Fact]
    public async Task LinksOfADeletedAccountDoNotWorkForTheNextAccountOnTheSameAddress()
    {
        var email = Emails.Unique("reregistered");
        var first = Browser();
        Assert.Equal(HttpStatusCode.Created, (await first.SignupAsync(email, Password)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await first.ForgotPasswordAsync(email)).StatusCode);
        var mails = await mail.Maildev.WaitForEmailsAsync(email, 2, cancellationToken: Ct);
        var confirmToken = MailLinks.Token(mails.Single(m => m.Subject.StartsWith("Confirm", StringComparison.Ordinal)), "confirm");
        var resetToken = MailLinks.Token(mails.Single(m => m.Subject.StartsWith("Reset", StringComparison.Ordinal)), "reset");
        Assert.Equal(HttpStatusCode.NoContent, (await first.DeleteAccountAsync(Password)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await Browser().SignupAsync(email, NewPassword)).StatusCode);

        await ResponseAssert.ProblemAsync(await Browser().ConfirmEmailAsync(confirmToken), HttpStatusCode.BadRequest);
        await ResponseAssert.ProblemAsync(await Browser().ResetPasswordAsync(resetToken, "attacker-chosen-passphrase-99"), HttpStatusCode.BadRequest);
        Assert.False((await ResponseAssert.JsonAsync(await Browser().LoginAsync(email, NewPassword), HttpStatusCode.OK)).GetProperty("emailConfirmed").GetBoolean());
    }

    [Fact]
    public async Task ALookAlikeSpellingReachesTheRegisteredAddressOnly()
    {
        var local = "lookalike-" + Guid.NewGuid().ToString("N")[..8];
        var email = local + "@example.com";
        Assert.Equal(HttpStatusCode.Created, (await Browser().SignupAsync(email, Password)).StatusCode);
        await mail.Maildev.WaitForEmailsAsync(email, cancellationToken: Ct);

        // Upper case and fullwidth letters canonicalise to the same account; the mail goes to the stored address.
        var variant = "  " + local.ToUpperInvariant() + "@ＥＸＡＭＰＬＥ.com ";
        Assert.Equal(HttpStatusCode.Accepted, (await Browser().ForgotPasswordAsync(variant)).StatusCode);

        var reset = (await mail.Maildev.WaitForEmailsAsync(email, 2, cancellationToken: Ct)).Single(m => m.Subject.StartsWith("Reset", StringComparison.Ordinal));
        Assert.Equal(email, Assert.Single(reset.To).Address);
    }

    [Fact]
    public async Task MailRequestsAreRateLimitedPerClient()
    {
        await using var api = await MailApi.StartApiAsync(azurite, mail.Maildev, s => s["Auth:Throttling:EmailPerMinute"] = "2");
        var browser = new SessionClient(api.Client);
        var email = Emails.Unique("burst");

        Assert.Equal(HttpStatusCode.Accepted, (await browser.ForgotPasswordAsync(email)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await browser.ResendConfirmationAsync(email)).StatusCode);
        var limited = await ResponseAssert.ProblemAsync(await browser.ForgotPasswordAsync(email), HttpStatusCode.TooManyRequests);
        Assert.True(limited.GetProperty("retryAfter").GetInt32() >= 1);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-a-token")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("ｆｕｌｌｗｉｄｔｈ")]
    public async Task AnyBadTokenIsOneGeneric400(string token)
    {
        foreach (var response in new[] { await Browser().ConfirmEmailAsync(token), await Browser().ResetPasswordAsync(token, NewPassword) })
        {
            var problem = await ResponseAssert.ProblemAsync(response, HttpStatusCode.BadRequest);
            if (token.Length > 0)
            {
                Assert.Equal("invalid_token", problem.GetProperty("code").GetString());
            }
        }
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"email\":\"no-at-sign\"}")]
    [InlineData("{\"email\":42}")]
    [InlineData("[]")]
    [InlineData("{\"email\":\"a@b.example\",\"email\":\"c@d.example\"}")]
    public async Task MalformedMailRequestsAre400(string json)
    {
        foreach (var path in new[] { Serverless.Auth.Http.AuthApi.PasswordForgot.Path, Serverless.Auth.Http.AuthApi.EmailResend.Path })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
            await ResponseAssert.ProblemAsync(await mail.Api.SendAsync(request), HttpStatusCode.BadRequest);
        }
    }
}
