using System.Net;
using System.Text.RegularExpressions;
using Serverless.Auth.Email;
using Serverless.Auth.Http;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Email;

/// <summary>
/// Security notices (issue 28) through the real queue and a real maildev: a factor enabled or disabled, new recovery
/// codes, a recovery code used (with how many are left), the password changed. Each reaches the owner even with the
/// per-address cap used up and within the mail cooldown, and carries no token and no code.
/// </summary>
public sealed partial class SecurityNoticeTests(MailApi mail, AzuriteFixture azurite) : IClassFixture<MailApi>
{
    private const string Password = "plum-orchard-lantern-4821";
    private const string NewPassword = "copper-heron-glacier-9917";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task APasskeyAddedOrDeletedIsNoticedPastTheCapAndSaysAResetDoesNotRemoveIt()
    {
        await using var api = await MailApi.StartApiAsync(azurite, mail.Maildev, settings =>
        {
            settings["Auth:Email:MaxPerAddressPerHour"] = "1";
            settings["Auth:Email:MaxPerAddressPerDay"] = "1";
        });
        var email = Emails.Unique("passkey-notices");
        var browser = new SessionClient(api.Client);
        await browser.SignUpForUserIdAsync(email, Password);
        Assert.Single(await mail.Maildev.WaitForEmailsAsync(email, 1, cancellationToken: Ct));

        using var authenticator = new SoftwareAuthenticator(TestApi.Frontend, "localhost");
        var options = await ResponseAssert.JsonAsync(await browser.SendAsync(HttpMethod.Post, AuthApi.PasskeyRegisterOptions.Path, new { password = Password }), HttpStatusCode.OK);
        var added = await ResponseAssert.JsonAsync(
            await browser.SendAsync(HttpMethod.Post, AuthApi.PasskeyRegister.Path, new { credential = authenticator.Register(options), name = "Laptop" }), HttpStatusCode.OK);
        var id = added.GetProperty("id").GetString()!;
        Assert.Equal(HttpStatusCode.NoContent, (await browser.SendAsync(HttpMethod.Post, AuthApi.PasskeyDelete.Path, new { id, password = Password })).StatusCode);

        var received = await mail.Maildev.WaitForEmailsAsync(email, 3, cancellationToken: Ct);
        var addedNotice = Assert.Single(received, m => m.Subject == "A passkey was added to your Serverless Auth account");
        Assert.Contains("a password reset alone does not remove it", addedNotice.Text, StringComparison.Ordinal);
        var deletedNotice = Assert.Single(received, m => m.Subject == "A passkey was removed from your Serverless Auth account");
        foreach (var notice in new[] { addedNotice, deletedNotice })
        {
            AssertOnlyTheForgotLink(notice);
            Assert.DoesNotContain(id, notice.Text + notice.Html, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task EveryNoticeArrivesPastTheCapAndTheCooldownWithoutATokenOrACode()
    {
        await using var api = await MailApi.StartApiAsync(azurite, mail.Maildev, settings =>
        {
            settings["Auth:Email:MaxPerAddressPerHour"] = "1";
            settings["Auth:Email:MaxPerAddressPerDay"] = "1";
            settings["Auth:Email:MailCooldownSeconds"] = "3600";
        });
        var email = Emails.Unique("notices");
        var browser = new SessionClient(api.Client);
        await browser.SignUpForUserIdAsync(email, Password);
        // The confirmation mail uses up the address's allowance for the hour and the day.
        Assert.Single(await mail.Maildev.WaitForEmailsAsync(email, 1, cancellationToken: Ct));

        var setup = await ResponseAssert.JsonAsync(await browser.SendAsync(HttpMethod.Post, AuthApi.MfaTotpSetup.Path, new { password = Password }), HttpStatusCode.OK);
        var secret = setup.GetProperty("secret").GetString()!;
        var enabled = await ResponseAssert.JsonAsync(
            await browser.SendAsync(HttpMethod.Post, AuthApi.MfaTotpEnable.Path, new { code = await CodeAsync(secret) }), HttpStatusCode.OK);
        var firstCodes = enabled.GetProperty("recoveryCodes").EnumerateArray().Select(c => c.GetString()!).ToList();

        // The enabling session checked no code at sign-in: its step-up takes a recovery code.
        var renewed = await ResponseAssert.JsonAsync(
            await browser.SendAsync(HttpMethod.Post, AuthApi.MfaRecoveryCodes.Path, new { password = Password, recoveryCode = firstCodes[0] }), HttpStatusCode.OK);
        var codes = renewed.GetProperty("recoveryCodes").EnumerateArray().Select(c => c.GetString()!).ToList();

        var phone = new SessionClient(api.Client);
        Assert.Equal("mfa_required", (await ResponseAssert.JsonAsync(await phone.LoginAsync(email, Password), HttpStatusCode.OK)).GetProperty("status").GetString());
        await ResponseAssert.JsonAsync(await phone.SendAsync(HttpMethod.Post, AuthApi.MfaVerify.Path, new { recoveryCode = codes[4] }), HttpStatusCode.OK);

        // The phone checked a factor just now: the password is enough for its changes.
        await ResponseAssert.JsonAsync(
            await phone.SendAsync(HttpMethod.Post, AuthApi.ChangePassword.Path, new { currentPassword = Password, newPassword = NewPassword }), HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.NoContent, (await phone.SendAsync(HttpMethod.Post, AuthApi.MfaTotpDisable.Path, new { password = NewPassword })).StatusCode);

        var received = await mail.Maildev.WaitForEmailsAsync(email, 6, cancellationToken: Ct);
        string[] expected =
        [
            "Two-factor sign-in is on for your Serverless Auth account",
            "New recovery codes for your Serverless Auth account",
            "A recovery code was used to sign in to your Serverless Auth account",
            "Your Serverless Auth password was changed",
            "Two-factor sign-in is off for your Serverless Auth account",
        ];
        foreach (var subject in expected)
        {
            var notice = Assert.Single(received, m => m.Subject == subject);
            AssertOnlyTheForgotLink(notice);
            Assert.DoesNotContain(secret, notice.Text + notice.Html, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(codes.Concat(firstCodes), code => (notice.Text + notice.Html).Contains(code, StringComparison.OrdinalIgnoreCase));
            Assert.Matches(@"On \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", notice.Text);
        }

        // Two recovery codes were spent (one for the step-up, one to sign in): the notice of the sign-in says 9 are left
        // of the new set (the first code was of the old set, which the new codes replaced).
        Assert.Contains("9 unused codes left", received.Single(m => m.Subject == expected[2]).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheRecoveryCodeNoticeCountsTheLastCodesQueuedStraightFromTheOutbox()
    {
        await using var api = await MailApi.StartApiAsync(azurite, mail.Maildev, settings =>
        {
            settings["Auth:Email:MaxPerAddressPerHour"] = "1";
            settings["Auth:Email:MaxPerAddressPerDay"] = "1";
        });
        var email = Emails.Unique("last-codes");
        var userId = await new SessionClient(api.Client).SignUpForUserIdAsync(email, Password);
        Assert.Single(await mail.Maildev.WaitForEmailsAsync(email, 1, cancellationToken: Ct));

        // The endpoints queue through this same call; the outbox is what they share, so the two edge counts need no sign-ins.
        var outbox = api.Service<MailOutbox>();
        await outbox.NotifyAsync(userId, email, SecurityNotice.RecoveryCodeUsed, Ct, recoveryCodesLeft: 1);
        await outbox.NotifyAsync(userId, email, SecurityNotice.RecoveryCodeUsed, Ct, recoveryCodesLeft: 0);

        var notices = (await mail.Maildev.WaitForEmailsAsync(email, 3, cancellationToken: Ct))
            .Where(m => m.Subject == "A recovery code was used to sign in to your Serverless Auth account").ToList();
        Assert.Equal(2, notices.Count);
        // Queue order is not delivery order: each count appears in exactly one notice, in its text and its HTML.
        Assert.Single(notices, m => m.Text!.Contains("1 unused code left;", StringComparison.Ordinal) && m.Html!.Contains("1 unused code left;", StringComparison.Ordinal));
        Assert.Single(notices, m => m.Text!.Contains("0 unused codes left;", StringComparison.Ordinal) && m.Html!.Contains("0 unused codes left;", StringComparison.Ordinal));
        Assert.All(notices, AssertOnlyTheForgotLink);
    }

    /// <summary>The one place a notice points to is the forgot-password page, bare: no token, no query string, in the text and the HTML.</summary>
    private static void AssertOnlyTheForgotLink(ReceivedMail notice)
    {
        var urls = UrlPattern().Matches(notice.Text + " " + notice.Html).Select(m => m.Value).Distinct().ToList();
        Assert.Equal(["http://localhost:5173/auth/forgot"], urls);
        Assert.DoesNotContain("token", notice.Text + notice.Html, StringComparison.OrdinalIgnoreCase);
    }

    [GeneratedRegex(@"https?://[^\s""<>]+")]
    private static partial Regex UrlPattern();

    private static Task<string> CodeAsync(string secret) => Oathtool.CodeAsync(secret);
}
