using System.Diagnostics;
using System.Net;
using Azure.Data.Tables;
using Serverless.Auth.Http;
using Serverless.Auth.Tests.Email;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Oidc;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Admin;

/// <summary>
/// An admin's disable (issue 31) on two instances sharing tables: every session ends on the other instance within 2 s, no
/// method signs in (403 account_disabled after the right credentials; a wrong password still the generic 401), no refresh,
/// no mailed link works and no new one is sent; a disable racing a sign-in leaves no usable session; enable restores
/// sign-in but not the old sessions.
/// </summary>
public sealed class DisableTests(AdminHosts hosts) : IClassFixture<AdminHosts>
{
    private static readonly TimeSpan Propagation = TimeSpan.FromSeconds(2);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private TestApi A => hosts.First;

    private TestApi B => hosts.Second;

    /// <summary>
    /// A password login on A during which the admin disables the account on B: the disable runs (to its answer) when A's
    /// next POST to the table of <paramref name="tableSetting"/> is about to be sent. Returns the login's answer and browser.
    /// </summary>
    private async Task<(HttpResponseMessage Login, SessionClient Browser)> LoginWhileDisablingAsync(Member member, string tableSetting)
    {
        var table = hosts.Settings[tableSetting]!;
        HttpResponseMessage? disable = null;
        hosts.Hook.Arm((method, name) => method == "POST" && name == table, before: async () => disable = await hosts.ActAsync(B, member.UserId, "disable"));
        var browser = new SessionClient(A.Client);

        var login = await browser.LoginAsync(member.Email, AdminHosts.Password);

        Assert.True(hosts.Hook.Fired);
        Assert.Equal(HttpStatusCode.OK, disable!.StatusCode);
        return (login, browser);
    }

    /// <summary>Polls <paramref name="browser"/>'s verify until it answers 401; returns how long that took, failing past 2 s.</summary>
    private static async Task<TimeSpan> UntilVerifyFailsAsync(SessionClient browser)
    {
        var clock = Stopwatch.StartNew();
        await ResponseAssert.EventuallyAsync(async () => (await browser.VerifyAsync()).StatusCode == HttpStatusCode.Unauthorized, Propagation);
        return clock.Elapsed;
    }

    private async Task<TableEntity> AccountRowAsync(string userId) =>
        (await hosts.Users.GetEntityAsync<TableEntity>(userId, "user", cancellationToken: Ct)).Value;

    [Fact]
    public async Task DisableOnOneInstanceEndsEverySessionOnTheOtherWithinTwoSecondsAndEnableRestoresOnlySignIn()
    {
        var member = await Members.SignUpAsync(A, "disable-sessions");
        var laptop = new SessionClient(A.Client);
        Assert.Equal(HttpStatusCode.OK, (await laptop.LoginAsync(member.Email, AdminHosts.Password)).StatusCode);
        var phoneOnB = new SessionClient(B.Client);
        Assert.Equal(HttpStatusCode.OK, (await phoneOnB.LoginAsync(member.Email, AdminHosts.Password)).StatusCode);
        // Each session works on A (its revocation list is warm): what changes is the disable.
        foreach (var browser in new[] { member.Browser, laptop, phoneOnB.CopyTo(A.Client) })
        {
            Assert.Equal(HttpStatusCode.OK, (await browser.VerifyAsync()).StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await laptop.CopyTo(A.Client).RefreshAsync()).StatusCode);
        var wrongBefore = await ResponseAssert.ProblemAsync(await new SessionClient(A.Client).LoginAsync(member.Email, "wrong-" + AdminHosts.Password), HttpStatusCode.Unauthorized);

        var summary = await hosts.SetDisabledAsync(B, member.UserId, disabled: true);
        var disabledAt = Stopwatch.StartNew();

        Assert.Equal(0, summary.GetProperty("sessions").GetInt32());
        // On A, the access tokens stop within 2 s (A hears of the cut-off from storage), the refresh tokens at once.
        var refreshOnA = await laptop.CopyTo(A.Client).RefreshAsync();
        await ResponseAssert.ProblemAsync(refreshOnA, HttpStatusCode.Unauthorized);
        foreach (var browser in new[] { member.Browser.CopyTo(A.Client), laptop.CopyTo(A.Client), phoneOnB.CopyTo(A.Client) })
        {
            await UntilVerifyFailsAsync(browser);
        }

        Assert.True(disabledAt.Elapsed < Propagation + TimeSpan.FromSeconds(1), $"all sessions ended on A only after {disabledAt.Elapsed}");
        // On B, the instance that disabled, at once.
        await ResponseAssert.ProblemAsync(await phoneOnB.CopyTo(B.Client).VerifyAsync(), HttpStatusCode.Unauthorized);
        await ResponseAssert.ProblemAsync(await phoneOnB.CopyTo(B.Client).RefreshAsync(), HttpStatusCode.Unauthorized);
        Assert.True((await AccountRowAsync(member.UserId)).GetBoolean("Disabled"));
        Assert.Empty(await AdminHosts.PartitionAsync(hosts.Sessions, member.UserId));

        // The right password: 403 account_disabled on either instance; a wrong one: the same 401 as before, no code.
        foreach (var on in new[] { A, B })
        {
            await Members.AssertDisabledAsync(await new SessionClient(on.Client).LoginAsync(member.Email, AdminHosts.Password));
            var wrong = await ResponseAssert.ProblemAsync(await new SessionClient(on.Client).LoginAsync(member.Email, "wrong-" + AdminHosts.Password), HttpStatusCode.Unauthorized);
            Assert.Equal(wrongBefore.GetProperty("title").GetString(), wrong.GetProperty("title").GetString());
            Assert.Equal(wrongBefore.GetProperty("detail").GetString(), wrong.GetProperty("detail").GetString());
            Assert.False(wrong.TryGetProperty("code", out _));
        }

        Assert.Empty(await AdminHosts.PartitionAsync(hosts.Sessions, member.UserId));

        await hosts.SetDisabledAsync(A, member.UserId, disabled: false);

        Assert.NotEqual(true, (await AccountRowAsync(member.UserId)).GetBoolean("Disabled"));
        var again = new SessionClient(A.Client);
        Assert.Equal(HttpStatusCode.OK, (await again.LoginAsync(member.Email, AdminHosts.Password)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await again.CopyTo(B.Client).VerifyAsync()).StatusCode);
        // The sessions from before the disable stay ended, on both instances.
        foreach (var on in new[] { A, B })
        {
            foreach (var old in new[] { member.Browser, laptop, phoneOnB })
            {
                await ResponseAssert.ProblemAsync(await old.CopyTo(on.Client).VerifyAsync(), HttpStatusCode.Unauthorized);
                await ResponseAssert.ProblemAsync(await old.CopyTo(on.Client).RefreshAsync(), HttpStatusCode.Unauthorized);
            }
        }
    }

    [Fact]
    public async Task ATotpAccountIsRefusedBeforeTheSecondStepAndAPendingStepCannotComplete()
    {
        var member = await Members.SignUpAsync(A, "disable-totp");
        var secret = await Members.EnableTotpAsync(member.Browser);
        var pending = new SessionClient(A.Client);
        var first = await ResponseAssert.JsonAsync(await pending.LoginAsync(member.Email, AdminHosts.Password), HttpStatusCode.OK);
        Assert.Equal("mfa_required", first.GetProperty("status").GetString());
        Assert.True(pending.Cookies.ContainsKey("auth-mfa"));

        await hosts.SetDisabledAsync(B, member.UserId, disabled: true);

        // The right password no longer reaches the second step: no pending cookie.
        var login = await new SessionClient(A.Client).LoginAsync(member.Email, AdminHosts.Password);
        await Members.AssertDisabledAsync(login);
        Assert.DoesNotContain(SessionClient.SetCookies(login), c => c.Name == "auth-mfa");
        // A step started before the disable cannot finish, whatever the code: the disable voided it (as a completed one
        // is: 401 mfa_pending_invalid) and its cookie is cleared.
        var verify = await pending.SendAsync(HttpMethod.Post, AuthApi.MfaVerify.Path, new { code = await Oathtool.CodeAsync(secret, DateTimeOffset.UtcNow.AddSeconds(30)) });
        Assert.Equal("mfa_pending_invalid", (await ResponseAssert.ProblemAsync(verify, HttpStatusCode.Unauthorized)).GetProperty("code").GetString());
        Assert.False(pending.Cookies.ContainsKey("auth-mfa"));
        Assert.Empty(await AdminHosts.PartitionAsync(hosts.Sessions, member.UserId));

        await hosts.SetDisabledAsync(B, member.UserId, disabled: false);

        var restored = await ResponseAssert.JsonAsync(await new SessionClient(A.Client).LoginAsync(member.Email, AdminHosts.Password), HttpStatusCode.OK);
        Assert.Equal("mfa_required", restored.GetProperty("status").GetString());
    }

    [Fact]
    public async Task APasskeySignInIsRefusedAndStartsNoSession()
    {
        var member = await Members.SignUpAsync(A, "disable-passkey");
        using var authenticator = Members.NewAuthenticator();
        await Members.AddPasskeyAsync(member.Browser, authenticator);
        var (before, _) = await Members.PasskeyLoginAsync(B, authenticator);
        Assert.Equal(HttpStatusCode.OK, before.StatusCode);

        await hosts.SetDisabledAsync(B, member.UserId, disabled: true);

        foreach (var on in new[] { A, B })
        {
            var (refused, browser) = await Members.PasskeyLoginAsync(on, authenticator);
            await Members.AssertDisabledAsync(refused);
            await ResponseAssert.ProblemAsync(await browser.VerifyAsync(), HttpStatusCode.Unauthorized);
        }

        Assert.Empty(await AdminHosts.PartitionAsync(hosts.Sessions, member.UserId));

        await hosts.SetDisabledAsync(A, member.UserId, disabled: false);

        var (after, signedIn) = await Members.PasskeyLoginAsync(A, authenticator);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await signedIn.VerifyAsync()).StatusCode);
    }

    [Fact]
    public async Task ASocialSignInIsRefusedAtTheExchange()
    {
        var email = Emails.Unique("disable-social");
        var sub = "social-" + Guid.NewGuid().ToString("N");
        var (firstExchange, _) = await Members.SocialSignInAsync(A, hosts.Social, sub, email);
        var userId = (await OidcTestFlow.SignedInAsync(firstExchange)).GetProperty("userId").GetString()!;

        await hosts.SetDisabledAsync(B, userId, disabled: true);

        var (refused, browser) = await Members.SocialSignInAsync(A, hosts.Social, sub, email);
        await Members.AssertDisabledAsync(refused);
        await ResponseAssert.ProblemAsync(await browser.VerifyAsync(), HttpStatusCode.Unauthorized);
        Assert.Empty(await AdminHosts.PartitionAsync(hosts.Sessions, userId));

        await hosts.SetDisabledAsync(B, userId, disabled: false);

        var (restored, _) = await Members.SocialSignInAsync(B, hosts.Social, sub, email);
        Assert.Equal(userId, (await OidcTestFlow.SignedInAsync(restored)).GetProperty("userId").GetString());
    }

    /// <summary>
    /// The disable lands right after the exchange read the account (enabled), before its session is written. The exchange
    /// reads the account once, with the session's start time taken before that read, so the disable's cut-off (taken
    /// after the read) ends the session: whichever way the exchange answers, no usable session results.
    /// </summary>
    [Fact]
    public async Task ADisableRightAfterTheExchangeReadTheAccountLeavesNoUsableSession()
    {
        var email = Emails.Unique("disable-race-social");
        var sub = "social-" + Guid.NewGuid().ToString("N");
        var (first, _) = await Members.SocialSignInAsync(A, hosts.Social, sub, email);
        var userId = (await OidcTestFlow.SignedInAsync(first)).GetProperty("userId").GetString()!;
        var users = hosts.Settings["Auth:Storage:UsersTable"]!;
        HttpResponseMessage? disable = null;

        var (exchange, browser) = await Members.SocialSignInAsync(
            A, hosts.Social, sub, email,
            beforeExchange: () => hosts.Hook.Arm((method, name) => method == "GET" && name == users, after: async () => disable = await hosts.ActAsync(B, userId, "disable")));

        Assert.True(hosts.Hook.Fired);
        Assert.Equal(HttpStatusCode.OK, disable!.StatusCode);
        if (exchange.StatusCode == HttpStatusCode.Forbidden)
        {
            await Members.AssertDisabledAsync(exchange);
        }
        else
        {
            Assert.Equal(userId, (await OidcTestFlow.SignedInAsync(exchange)).GetProperty("userId").GetString());
            await UntilVerifyFailsAsync(browser.CopyTo(A.Client));
            await ResponseAssert.ProblemAsync(await browser.CopyTo(B.Client).VerifyAsync(), HttpStatusCode.Unauthorized);
            await ResponseAssert.ProblemAsync(await browser.CopyTo(A.Client).RefreshAsync(), HttpStatusCode.Unauthorized);
        }

        foreach (var on in new[] { A, B })
        {
            await ResponseAssert.EventuallyAsync(
                async () => (await ResponseAssert.JsonAsync(await hosts.GetAsync(on, userId), HttpStatusCode.OK)).GetProperty("sessions").GetInt32() == 0, Propagation);
        }

        // Enabled again, the session that escaped the disable's listing stays ended.
        await hosts.SetDisabledAsync(B, userId, disabled: false);
        await ResponseAssert.ProblemAsync(await browser.CopyTo(A.Client).RefreshAsync(), HttpStatusCode.Unauthorized);
        await ResponseAssert.ProblemAsync(await browser.CopyTo(B.Client).VerifyAsync(), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task NoMailedLinkWorksAndForgotSendsNothingWhileDisabled()
    {
        var member = await Members.SignUpAsync(A, "disable-mail");
        var confirmToken = MailLinks.Token(await hosts.Mail.WaitAsync(member.Email), "confirm");
        Assert.Equal(HttpStatusCode.Accepted, (await new SessionClient(A.Client).ForgotPasswordAsync(member.Email)).StatusCode);
        var resetToken = MailLinks.Token(await hosts.Mail.WaitAsync(member.Email, count: 2), "reset");

        await hosts.SetDisabledAsync(B, member.UserId, disabled: true);

        // The links mailed before the disable: the one invalid-link answer.
        foreach (var refused in new[]
        {
            await new SessionClient(A.Client).ResetPasswordAsync(resetToken, "saffron-glacier-tundra-5163"),
            await new SessionClient(B.Client).ConfirmEmailAsync(confirmToken),
        })
        {
            Assert.Equal("invalid_token", (await ResponseAssert.ProblemAsync(refused, HttpStatusCode.BadRequest)).GetProperty("code").GetString());
        }

        // Forgot and resend answer as for anyone (202), and the mail worker sends nothing.
        var (resetSkips, confirmSkips) = (hosts.Logs.Count("Reset mail not sent: the account is disabled"), hosts.Logs.Count("Confirm mail not sent: the account is disabled"));
        Assert.Equal(HttpStatusCode.Accepted, (await new SessionClient(A.Client).ForgotPasswordAsync(member.Email)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await new SessionClient(B.Client).ResendConfirmationAsync(member.Email.ToUpperInvariant())).StatusCode);
        await hosts.Logs.WaitForAsync("Reset mail not sent: the account is disabled", resetSkips);
        await hosts.Logs.WaitForAsync("Confirm mail not sent: the account is disabled", confirmSkips);
        Assert.Equal(2, hosts.Mail.To(member.Email).Count);
        // The refused reset changed nothing: the old password is still the one (and still refused while disabled).
        await Members.AssertDisabledAsync(await new SessionClient(A.Client).LoginAsync(member.Email, AdminHosts.Password));

        // Enabled again, the reset link mailed before the disable stays void (the disable spent it: the mailbox may be why
        // the account was disabled); the password is the one from before, and a new reset mail works.
        await hosts.SetDisabledAsync(A, member.UserId, disabled: false);
        Assert.Equal("invalid_token", (await ResponseAssert.ProblemAsync(
            await new SessionClient(B.Client).ResetPasswordAsync(resetToken, "saffron-glacier-tundra-5163"), HttpStatusCode.BadRequest)).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.OK, (await new SessionClient(A.Client).LoginAsync(member.Email, AdminHosts.Password)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await new SessionClient(A.Client).ForgotPasswordAsync(member.Email)).StatusCode);
        var newReset = MailLinks.Token(await hosts.Mail.WaitAsync(member.Email, count: 3), "reset");
        Assert.Equal(HttpStatusCode.NoContent, (await new SessionClient(B.Client).ResetPasswordAsync(newReset, "saffron-glacier-tundra-5163")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await new SessionClient(A.Client).LoginAsync(member.Email, "saffron-glacier-tundra-5163")).StatusCode);
    }

    /// <summary>
    /// The disable lands while the sign-in's session is being written (held by a storage hook on instance A): whichever
    /// way the sign-in answers, no usable session results: a 403, or a session whose access token stops verifying within
    /// 2 s and whose refresh token refreshes nothing, then or after an enable.
    /// </summary>
    [Fact]
    public async Task ADisableWhileTheSignInsSessionIsWrittenLeavesNoUsableSession()
    {
        var member = await Members.SignUpAsync(A, "disable-race-session");

        var (login, browser) = await LoginWhileDisablingAsync(member, "Auth:Storage:SessionsTable");

        if (login.StatusCode == HttpStatusCode.Forbidden)
        {
            await Members.AssertDisabledAsync(login);
        }
        else
        {
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
            await UntilVerifyFailsAsync(browser.CopyTo(A.Client));
            await ResponseAssert.ProblemAsync(await browser.CopyTo(B.Client).VerifyAsync(), HttpStatusCode.Unauthorized);
            await ResponseAssert.ProblemAsync(await browser.CopyTo(A.Client).RefreshAsync(), HttpStatusCode.Unauthorized);
        }

        // Its row may outlive the disable (written after the disable listed the sessions), but no instance counts it as live.
        foreach (var on in new[] { A, B })
        {
            await ResponseAssert.EventuallyAsync(
                async () => (await ResponseAssert.JsonAsync(await hosts.GetAsync(on, member.UserId), HttpStatusCode.OK)).GetProperty("sessions").GetInt32() == 0, Propagation);
        }

        await hosts.SetDisabledAsync(B, member.UserId, disabled: false);

        // Enabled again, whatever escaped the disable stays ended.
        await ResponseAssert.ProblemAsync(await browser.CopyTo(A.Client).RefreshAsync(), HttpStatusCode.Unauthorized);
        await ResponseAssert.ProblemAsync(await browser.CopyTo(B.Client).RefreshAsync(), HttpStatusCode.Unauthorized);
        await ResponseAssert.ProblemAsync(await browser.CopyTo(A.Client).VerifyAsync(), HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, (await new SessionClient(A.Client).LoginAsync(member.Email, AdminHosts.Password)).StatusCode);
    }

    /// <summary>
    /// The disable lands after the sign-in read the account (enabled) and while its password is being checked (its backoff
    /// reservation held): the sign-in reads the account again as its session starts, ends that session and answers 403.
    /// </summary>
    [Fact]
    public async Task ADisableAfterTheSignInReadTheAccountIsSeenAsItsSessionStarts()
    {
        var member = await Members.SignUpAsync(A, "disable-race-read");

        var (login, browser) = await LoginWhileDisablingAsync(member, "Auth:Storage:LoginThrottleTable");

        await Members.AssertDisabledAsync(login);
        Assert.Null(browser.Access);
        Assert.Empty(await AdminHosts.PartitionAsync(hosts.Sessions, member.UserId));
        var summary = await ResponseAssert.JsonAsync(await hosts.GetAsync(A, member.UserId), HttpStatusCode.OK);
        Assert.Equal(0, summary.GetProperty("sessions").GetInt32());
    }
}
