using System.Net;
using Azure.Data.Tables;
using Serverless.Auth.Accounts;
using Serverless.Auth.Email;
using Serverless.Auth.Http;
using Serverless.Auth.Storage;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Email;

/// <summary>Email change end to end: real Azurite (tables and queue), the queue sender, a real maildev.</summary>
public sealed class EmailChangeFlowTests(MailApi mail) : IClassFixture<MailApi>
{
    private const string Password = "plum-orchard-lantern-4821";
    private const string LinkSubject = "Confirm your new email for Serverless Auth";
    private const string NoticeSubject = "Your Serverless Auth email address is being changed";
    private const string InUseSubject = "Someone tried to use your email for another Serverless Auth account";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private SessionClient Browser() => new(mail.Api.Client);

    [Fact]
    public async Task TheLinkMovesTheAccountToTheNewAddressAndFreesTheOldOne()
    {
        var (old, wanted) = (Emails.Unique("change-old"), Emails.Unique("change-new"));
        var laptop = Browser();
        var userId = await laptop.SignUpForUserIdAsync(old, Password);
        var phone = Browser();
        Assert.Equal(HttpStatusCode.OK, (await phone.LoginAsync(old, Password)).StatusCode);

        var accepted = await ResponseAssert.JsonAsync(await laptop.ChangeEmailAsync(wanted, Password), HttpStatusCode.Accepted);
        Assert.Equal("accepted", accepted.GetProperty("status").GetString());
        var link = Assert.Single(await mail.Maildev.WaitForEmailsAsync(wanted, cancellationToken: Ct));
        Assert.Equal(LinkSubject, link.Subject);
        var token = MailLinks.Token(link, "email-change");
        var notice = (await mail.Maildev.WaitForEmailsAsync(old, 2, cancellationToken: Ct)).Single(m => m.Subject == NoticeSubject);
        Assert.Contains(wanted, notice.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("token=", notice.Text, StringComparison.Ordinal);
        Assert.Contains("/forgot", notice.Text, StringComparison.Ordinal);

        // Nothing changes before the link is used.
        Assert.Equal(userId, await LoginAsync(old));
        await ResponseAssert.ProblemAsync(await Browser().LoginAsync(wanted, Password), HttpStatusCode.Unauthorized);

        var confirm = await laptop.ConfirmEmailChangeAsync(token);
        var body = await ResponseAssert.JsonAsync(confirm, HttpStatusCode.OK);
        Assert.Equal(userId, body.GetProperty("userId").GetString());
        Assert.Equal(wanted, body.GetProperty("email").GetString());
        Assert.True(body.GetProperty("emailConfirmed").GetBoolean());
        Assert.Contains(SessionClient.SetCookies(confirm), c => c.Name == "auth");

        // This browser at once; the phone at its next refresh.
        Assert.Equal(wanted, (await ResponseAssert.JsonAsync(await laptop.VerifyAsync(), HttpStatusCode.OK)).GetProperty("email").GetString());
        Assert.Equal(old, (await ResponseAssert.JsonAsync(await phone.VerifyAsync(), HttpStatusCode.OK)).GetProperty("email").GetString());
        var refreshed = await ResponseAssert.JsonAsync(await phone.RefreshAsync(), HttpStatusCode.OK);
        Assert.Equal(wanted, refreshed.GetProperty("email").GetString());
        Assert.True(refreshed.GetProperty("emailConfirmed").GetBoolean());

        // The new address signs in as the same user, confirmed; the old one is nobody's and signs up anew.
        Assert.Equal(userId, await LoginAsync(wanted));
        await ResponseAssert.ProblemAsync(await Browser().LoginAsync(old, Password), HttpStatusCode.Unauthorized);
        var newcomer = await Browser().SignUpForUserIdAsync(old, Password);
        Assert.NotEqual(userId, newcomer);
        Assert.Equal(newcomer, await LoginAsync(old));
        Assert.Equal(userId, await LoginAsync(wanted));

        var reuse = await ResponseAssert.ProblemAsync(await Browser().ConfirmEmailChangeAsync(token), HttpStatusCode.BadRequest);
        Assert.Equal("invalid_token", reuse.GetProperty("code").GetString());
    }

    [Fact]
    public async Task AResetLinkMailedToTheOldAddressBeforeTheChangeNoLongerWorksAfterIt()
    {
        // The old address is someone else's by then: a reset link in its mailbox must not reach the moved account.
        var (old, wanted) = (Emails.Unique("reset-old"), Emails.Unique("reset-new"));
        var browser = Browser();
        var userId = await browser.SignUpForUserIdAsync(old, Password);
        Assert.Equal(HttpStatusCode.Accepted, (await Browser().ForgotPasswordAsync(old)).StatusCode);
        var resetToken = MailLinks.Token((await mail.Maildev.WaitForEmailsAsync(old, 2, cancellationToken: Ct)).Single(m => m.Subject.StartsWith("Reset", StringComparison.Ordinal)), "reset");
        Assert.Equal(HttpStatusCode.OK, (await browser.ConfirmEmailChangeAsync(await LinkAsync(browser, wanted))).StatusCode);
        var nextOwner = await Browser().SignUpForUserIdAsync(old, "copper-heron-glacier-9917");

        var reset = await ResponseAssert.ProblemAsync(await Browser().ResetPasswordAsync(resetToken, "attacker-chosen-passphrase-99"), HttpStatusCode.BadRequest);

        Assert.Equal("invalid_token", reset.GetProperty("code").GetString());
        Assert.Equal(userId, await LoginAsync(wanted));
        Assert.Equal(nextOwner, (await ResponseAssert.JsonAsync(await Browser().LoginAsync(old, "copper-heron-glacier-9917"), HttpStatusCode.OK)).GetProperty("userId").GetString());
    }

    [Fact]
    public async Task TheNoticeStillReachesTheOldAddressWhenItIsDeliveredAfterTheLinkWasUsed()
    {
        // Queue order is not delivery order (batches, retries): the notice finds the account by its id, not by the old address.
        var (old, wanted) = (Emails.Unique("late-notice-old"), Emails.Unique("late-notice-new"));
        var browser = Browser();
        var userId = await browser.SignUpForUserIdAsync(old, Password);
        Assert.Equal(HttpStatusCode.OK, (await browser.ConfirmEmailChangeAsync(await LinkAsync(browser, wanted))).StatusCode);
        var before = (await mail.Maildev.WaitForEmailsAsync(old, 2, cancellationToken: Ct)).Count;
        var late = new MailRequest(MailKind.EmailChangeNotice, old, MailRequest.NewToken(), DateTimeOffset.UtcNow) { UserId = userId, NewEmail = wanted };

        Assert.Equal(MailOutcome.Sent, await mail.Api.Service<MailDelivery>().DeliverAsync(late.ToJson(), Ct));

        var notices = (await mail.Maildev.WaitForEmailsAsync(old, before + 1, cancellationToken: Ct)).Where(m => m.Subject == NoticeSubject).ToList();
        Assert.Equal(2, notices.Count);
        Assert.All(notices, n => Assert.Contains(wanted, n.Text, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnAddressWithAnAccountGetsANoticeInsteadOfALinkAndNothingChanges()
    {
        var (old, taken) = (Emails.Unique("taken-old"), Emails.Unique("taken-owner"));
        var browser = Browser();
        var userId = await browser.SignUpForUserIdAsync(old, Password);
        var ownerId = await Browser().SignUpForUserIdAsync(taken, Password);

        Assert.Equal(HttpStatusCode.Accepted, (await browser.ChangeEmailAsync(taken, Password)).StatusCode);

        var mails = await mail.Maildev.WaitForEmailsAsync(taken, 2, cancellationToken: Ct);
        var attempt = Assert.Single(mails, m => m.Subject == InUseSubject);
        Assert.DoesNotContain("token=", attempt.Text, StringComparison.Ordinal);
        var toOld = await mail.Maildev.WaitForEmailsAsync(old, 2, cancellationToken: Ct);
        Assert.Single(toOld, m => m.Subject == NoticeSubject);
        Assert.All(mails.Concat(toOld), m => Assert.DoesNotContain("/email-change?token=", m.Text ?? "", StringComparison.Ordinal));
        Assert.Equal(userId, await LoginAsync(old));
        Assert.Equal(ownerId, await LoginAsync(taken));
    }

    [Fact]
    public async Task ANewerRequestVoidsTheEarlierLinkAlsoWhenItsAddressIsTaken()
    {
        // Whether the first link still works must not tell the requester that the second address has an account.
        var (old, first, taken, last) = (Emails.Unique("super-old"), Emails.Unique("super-first"), Emails.Unique("super-taken"), Emails.Unique("super-last"));
        var browser = Browser();
        var userId = await browser.SignUpForUserIdAsync(old, Password);
        await Browser().SignUpForUserIdAsync(taken, Password);

        var firstToken = await LinkAsync(browser, first);
        Assert.Equal(HttpStatusCode.Accepted, (await browser.ChangeEmailAsync(taken, Password)).StatusCode);
        Assert.Single(await mail.Maildev.WaitForEmailsAsync(taken, 2, cancellationToken: Ct), m => m.Subject == InUseSubject);
        var voided = await ResponseAssert.ProblemAsync(await browser.ConfirmEmailChangeAsync(firstToken), HttpStatusCode.BadRequest);
        Assert.Equal("invalid_token", voided.GetProperty("code").GetString());

        var lastToken = await LinkAsync(browser, last);
        Assert.Equal(last, (await ResponseAssert.JsonAsync(await browser.ConfirmEmailChangeAsync(lastToken), HttpStatusCode.OK)).GetProperty("email").GetString());
        Assert.Equal(userId, await LoginAsync(last));
        await ResponseAssert.ProblemAsync(await Browser().LoginAsync(first, Password), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task APasswordChangeVoidsTheLinkAndTheNewAddressStaysFree()
    {
        var (old, wanted) = (Emails.Unique("voided-old"), Emails.Unique("voided-new"));
        var browser = Browser();
        var userId = await browser.SignUpForUserIdAsync(old, Password);
        var token = await LinkAsync(browser, wanted);

        Assert.Equal(HttpStatusCode.OK, (await browser.ChangePasswordAsync(Password, "copper-heron-glacier-9917")).StatusCode);

        var voided = await ResponseAssert.ProblemAsync(await browser.ConfirmEmailChangeAsync(token), HttpStatusCode.BadRequest);
        Assert.Equal("invalid_token", voided.GetProperty("code").GetString());
        Assert.Equal(userId, (await ResponseAssert.JsonAsync(await Browser().LoginAsync(old, "copper-heron-glacier-9917"), HttpStatusCode.OK)).GetProperty("userId").GetString());
        Assert.NotEqual(userId, await Browser().SignUpForUserIdAsync(wanted, Password));
    }

    [Fact]
    public async Task AnAddressTakenBetweenRequestAndLinkIsRefusedAndNothingChanges()
    {
        var (old, wanted) = (Emails.Unique("late-old"), Emails.Unique("late-new"));
        var browser = Browser();
        var userId = await browser.SignUpForUserIdAsync(old, Password);
        var token = await LinkAsync(browser, wanted);
        var stranger = await Browser().SignUpForUserIdAsync(wanted, Password);

        var taken = await ResponseAssert.ProblemAsync(await browser.ConfirmEmailChangeAsync(token), HttpStatusCode.BadRequest);

        Assert.Equal("email_taken", taken.GetProperty("code").GetString());
        Assert.Equal(userId, await LoginAsync(old));
        Assert.Equal(stranger, await LoginAsync(wanted));
        Assert.Equal(old, (await ResponseAssert.JsonAsync(await browser.VerifyAsync(), HttpStatusCode.OK)).GetProperty("email").GetString());
    }

    [Fact]
    public async Task TwoConcurrentUsesOfOneLinkOnTwoInstancesHaveExactlyOneWinner()
    {
        var (old, wanted) = (Emails.Unique("twice-old"), Emails.Unique("twice-new"));
        await using var second = await TestApi.StartAsync(mail.Api.Settings, cancellationToken: Ct);
        var browser = Browser();
        var userId = await browser.SignUpForUserIdAsync(old, Password);
        var token = await LinkAsync(browser, wanted);

        var answers = await Task.WhenAll(Browser().ConfirmEmailChangeAsync(token), new SessionClient(second.Client).ConfirmEmailChangeAsync(token), Browser().ConfirmEmailChangeAsync(token));

        var winner = Assert.Single(answers, a => a.StatusCode == HttpStatusCode.OK);
        Assert.Equal(wanted, (await ResponseAssert.JsonAsync(winner, HttpStatusCode.OK)).GetProperty("email").GetString());
        foreach (var loser in answers.Where(a => a != winner))
        {
            Assert.Equal("invalid_token", (await ResponseAssert.ProblemAsync(loser, HttpStatusCode.BadRequest)).GetProperty("code").GetString());
        }

        // Stored: the account has the new address; the new address's identity points at it; the old one points nowhere.
        var users = mail.Api.Service<AuthTables>().Users;
        Assert.Equal(wanted, (await users.GetEntityAsync<TableEntity>(userId, "user", cancellationToken: Ct)).Value.GetString("Email"));
        Assert.Equal(userId, (await users.GetEntityAsync<TableEntity>(EmailAddress.StorageKey(wanted), "account", cancellationToken: Ct)).Value.GetString("AccountId"));
        Assert.Equal("", (await users.GetEntityAsync<TableEntity>(EmailAddress.StorageKey(old), "account", cancellationToken: Ct)).Value.GetString("AccountId"));
        Assert.Equal(userId, await LoginAsync(wanted));
        await ResponseAssert.ProblemAsync(await Browser().LoginAsync(old, Password), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task BadRequestsAreFieldErrorsAndSendNoMail()
    {
        var email = Emails.Unique("change-bad");
        var browser = Browser();
        await browser.SignUpForUserIdAsync(email, Password);
        await mail.Maildev.WaitForEmailsAsync(email, cancellationToken: Ct);

        async Task ErrorAsync(object body, string field)
        {
            var problem = await ResponseAssert.ProblemAsync(await browser.SendAsync(HttpMethod.Post, AuthApi.EmailChange.Path, body), HttpStatusCode.BadRequest);
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors.{field} expected");
        }

        await ErrorAsync(new { newEmail = Emails.Unique("change-bad-new"), password = "not the password" }, "password");
        await ErrorAsync(new { newEmail = email.ToUpperInvariant(), password = Password }, "newEmail");
        await ErrorAsync(new { newEmail = "not an address", password = Password }, "newEmail");
        await ErrorAsync(new { newEmail = "ada\u200B@example.com", password = Password }, "newEmail");
        await ErrorAsync(new { password = Password }, "newEmail");
        await ResponseAssert.ProblemAsync(await Browser().SendAsync(HttpMethod.Post, AuthApi.EmailChange.Path, new { newEmail = Emails.Unique("x"), password = Password }), HttpStatusCode.Unauthorized);

        // Only the signup's confirmation mail reached the address: no notice for a refused request.
        await Task.Delay(1500, Ct);
        Assert.Single(await mail.Maildev.WaitForEmailsAsync(email, cancellationToken: Ct));
    }

    [Fact]
    public async Task FailuresCountedAgainstTheOldAddressCarryOverToTheNewOne()
    {
        var (old, wanted) = (Emails.Unique("backoff-old"), Emails.Unique("backoff-new"));
        var browser = Browser();
        await browser.SignUpForUserIdAsync(old, Password);
        for (var i = 0; i < 2; i++)
        {
            await ResponseAssert.ProblemAsync(await Browser().LoginAsync(old, "wrong password " + i), HttpStatusCode.Unauthorized);
        }

        var token = await LinkAsync(browser, wanted);
        Assert.Equal(HttpStatusCode.OK, (await browser.ConfirmEmailChangeAsync(token)).StatusCode);

        var throttle = mail.Api.Service<AuthTables>().LoginThrottle;
        var before = (await throttle.GetEntityAsync<TableEntity>(EmailAddress.StorageKey(old), "login", cancellationToken: Ct)).Value;
        var after = (await throttle.GetEntityAsync<TableEntity>(EmailAddress.StorageKey(wanted), "login", cancellationToken: Ct)).Value;
        Assert.Equal(2, before.GetInt64("Reserved") - before.GetInt64("ClearedThrough"));
        Assert.Equal(before.GetInt64("Reserved"), after.GetInt64("Reserved"));
        Assert.Equal(before.GetInt64("ClearedThrough"), after.GetInt64("ClearedThrough"));
    }

    /// <summary>Asks for a change and returns the token of the link mailed to the new address.</summary>
    private async Task<string> LinkAsync(SessionClient browser, string newEmail)
    {
        Assert.Equal(HttpStatusCode.Accepted, (await browser.ChangeEmailAsync(newEmail, Password)).StatusCode);
        return MailLinks.Token(Assert.Single(await mail.Maildev.WaitForEmailsAsync(newEmail, cancellationToken: Ct)), "email-change");
    }


    private async Task<string?> LoginAsync(string email) =>
        (await ResponseAssert.JsonAsync(await Browser().LoginAsync(email, Password), HttpStatusCode.OK)).GetProperty("userId").GetString();
}
