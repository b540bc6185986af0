using System.Net;
using Azure.Data.Tables;
using Serverless.Auth.Accounts;
using Serverless.Auth.Storage;
using Serverless.Auth.Tests.Email;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Storage;

/// <summary>
/// The upgrade from accounts keyed by their email to accounts keyed by user id, on data the previous release itself
/// wrote (built from this repository's history and run as a process on the same tables): two new instances start at
/// once while an instance of the previous release keeps running. Nobody is lost: same password, same user id, sessions
/// and outstanding links keep working, confirmed stays confirmed; the old instance refuses what it can no longer read
/// and corrupts nothing.
/// </summary>
public sealed class AccountMigrationTests(AzuriteFixture azurite, MaildevFixture mail) : IClassFixture<MaildevFixture>
{
    private const string Password = "plum-orchard-lantern-4821";
    private const string NewPassword = "copper-heron-glacier-9917";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(PreviousRelease.Commit)]
    [InlineData(PreviousRelease.EmailKeyedAccounts)]
    public async Task UsersOfThePreviousReleaseKeepEverythingWhileTwoNewInstancesAndAnOldOneServeThem(string commit)
    {
        var maildev = mail.Maildev;
        var settings = MailApi.Settings(azurite, maildev);
        var users = new TableServiceClient(azurite.ConnectionString).GetTableClient(settings["Auth:Storage:UsersTable"]);
        var (twoBrowsers, links, confirmed, background, untouched) =
            (Emails.Unique("moved-twice"), Emails.Unique("moved-links"), Emails.Unique("moved-confirmed"), Emails.Unique("moved-later"), Emails.Unique("moved-last"));

        // The previous release signs everyone up, starts sessions, confirms one address and mails two links it never sees used.
        await using var previous = await PreviousRelease.StartAsync(settings, commit);
        using var oldClient = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = previous.BaseAddress };
        var laptop = new SessionClient(oldClient);
        var userId = await laptop.SignUpForUserIdAsync(twoBrowsers, Password);
        var linksUserId = await new SessionClient(oldClient).SignUpForUserIdAsync(links, Password);
        var confirmedUser = new SessionClient(oldClient);
        var confirmedUserId = await confirmedUser.SignUpForUserIdAsync(confirmed, Password);
        var backgroundUserId = await new SessionClient(oldClient).SignUpForUserIdAsync(background, Password);
        var untouchedUserId = await new SessionClient(oldClient).SignUpForUserIdAsync(untouched, Password);
        Assert.Equal(HttpStatusCode.OK, (await confirmedUser.ConfirmEmailAsync(await LinkAsync(maildev, confirmed, "confirm", 1))).StatusCode);
        var confirmLink = await LinkAsync(maildev, links, "confirm", 1);
        Assert.Equal(HttpStatusCode.Accepted, (await new SessionClient(oldClient).ForgotPasswordAsync(links)).StatusCode);
        var resetLink = await LinkAsync(maildev, links, "reset", 2);
        Assert.True(await IsLegacyAsync(users, twoBrowsers));

        // Two new instances start at once; the old one keeps running.
        var starting = new[] { TestApi.StartAsync(settings, cancellationToken: Ct), TestApi.StartAsync(settings, cancellationToken: Ct) };
        await using var first = await starting[0];
        await using var second = await starting[1];

        // Two browsers sign in at once, one on each new instance: both move the account (a new device is counted), one move lands.
        var logins = await Task.WhenAll(new SessionClient(first.Client).LoginAsync(twoBrowsers, Password), new SessionClient(second.Client).LoginAsync(twoBrowsers, Password));
        foreach (var login in logins)
        {
            Assert.Equal(userId, (await ResponseAssert.JsonAsync(login, HttpStatusCode.OK)).GetProperty("userId").GetString());
        }

        await AssertMovedAsync(users, twoBrowsers, userId);

        // The laptop's session from before the upgrade refreshes on either instance and verifies as the same user.
        var laptopHere = laptop.CopyTo(first.Client);
        Assert.Equal(userId, (await ResponseAssert.JsonAsync(await laptopHere.RefreshAsync(), HttpStatusCode.OK)).GetProperty("userId").GetString());
        Assert.Equal(twoBrowsers, (await ResponseAssert.JsonAsync(await laptopHere.CopyTo(second.Client).VerifyAsync(), HttpStatusCode.OK)).GetProperty("email").GetString());

        // Links the previous release mailed still work, on the new layout.
        var confirmedNow = await ResponseAssert.JsonAsync(await new SessionClient(second.Client).ConfirmEmailAsync(confirmLink), HttpStatusCode.OK);
        Assert.Equal(linksUserId, confirmedNow.GetProperty("userId").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await new SessionClient(first.Client).ResetPasswordAsync(resetLink, NewPassword)).StatusCode);
        var afterReset = await ResponseAssert.JsonAsync(await new SessionClient(second.Client).LoginAsync(links, NewPassword), HttpStatusCode.OK);
        Assert.Equal(linksUserId, afterReset.GetProperty("userId").GetString());
        Assert.True(afterReset.GetProperty("emailConfirmed").GetBoolean());
        await AssertMovedAsync(users, links, linksUserId);

        // Confirmed stays confirmed.
        var confirmedLogin = await ResponseAssert.JsonAsync(await new SessionClient(first.Client).LoginAsync(confirmed, Password), HttpStatusCode.OK);
        Assert.Equal(confirmedUserId, confirmedLogin.GetProperty("userId").GetString());
        Assert.True(confirmedLogin.GetProperty("emailConfirmed").GetBoolean());

        // The old instance during the roll-out: a moved address is taken (409) and cannot be signed in or changed there;
        // an account not moved yet still works there; nothing it does reaches a moved account.
        await ResponseAssert.ProblemAsync(await new SessionClient(oldClient).SignupAsync(twoBrowsers, Password), HttpStatusCode.Conflict);
        await ResponseAssert.ProblemAsync(await new SessionClient(oldClient).LoginAsync(twoBrowsers, Password), HttpStatusCode.Unauthorized);
        var laptopThere = laptopHere.CopyTo(oldClient);
        await ResponseAssert.ProblemAsync(await laptopThere.ChangePasswordAsync(Password, NewPassword), HttpStatusCode.BadRequest);
        Assert.Equal(HttpStatusCode.OK, (await new SessionClient(oldClient).LoginAsync(untouched, Password)).StatusCode);
        var newcomer = Emails.Unique("moved-new");
        var newcomerId = await new SessionClient(first.Client).SignUpForUserIdAsync(newcomer, Password);
        await ResponseAssert.ProblemAsync(await new SessionClient(oldClient).SignupAsync(newcomer, Password), HttpStatusCode.Conflict);
        await ResponseAssert.ProblemAsync(await new SessionClient(oldClient).LoginAsync(newcomer, Password), HttpStatusCode.Unauthorized);
        Assert.Equal(newcomerId, (await ResponseAssert.JsonAsync(await new SessionClient(second.Client).LoginAsync(newcomer, Password), HttpStatusCode.OK)).GetProperty("userId").GetString());
        Assert.Equal(HttpStatusCode.OK, (await new SessionClient(second.Client).LoginAsync(twoBrowsers, Password)).StatusCode);

        // The background pass moves the rest; both instances may run it, and the second run finds nothing left.
        await Task.WhenAll(first.Service<StorageCleanup>().RunAsync(Ct), second.Service<StorageCleanup>().RunAsync(Ct));
        await AssertMovedAsync(users, background, backgroundUserId);
        await AssertMovedAsync(users, untouched, untouchedUserId);
        await foreach (var row in users.QueryAsync<TableEntity>(r => r.RowKey == "account", cancellationToken: Ct))
        {
            Assert.Equal("email", row.GetString("Kind"));
        }

        Assert.Equal(backgroundUserId, (await ResponseAssert.JsonAsync(await new SessionClient(first.Client).LoginAsync(background, Password), HttpStatusCode.OK)).GetProperty("userId").GetString());
        await ResponseAssert.ProblemAsync(await new SessionClient(oldClient).LoginAsync(untouched, Password), HttpStatusCode.Unauthorized);
        Assert.Equal(untouchedUserId, (await ResponseAssert.JsonAsync(await new SessionClient(second.Client).LoginAsync(untouched, Password), HttpStatusCode.OK)).GetProperty("userId").GetString());
    }


    [Fact]
    public async Task TheBackgroundPassResumesWhereTheLastRunStoppedAndEndsAfterOnePass()
    {
        await using var api = await azurite.StartApiAsync(s => s["Auth:Storage:MoveAccountsPerRun"] = "2", builder => builder.Services.RemoveMailAndCleanup());
        var users = api.Service<AuthTables>().Users;
        var hash = await api.Service<Serverless.Auth.Passwords.PasswordHasher>().HashAsync(Password, Ct);
        var legacy = new Dictionary<string, string>();
        for (var i = 0; i < 5; i++)
        {
            // As the previous release stored an account: at the email key, with its user id, address and hash.
            var (email, userId) = (Emails.Unique("pass"), Guid.CreateVersion7().ToString());
            legacy[email] = userId;
            await users.AddEntityAsync(new TableEntity(EmailAddress.StorageKey(email), "account") { ["UserId"] = userId, ["Email"] = email, ["PasswordHash"] = hash, ["CreatedAt"] = DateTimeOffset.UtcNow }, Ct);
        }

        var cleanup = api.Service<StorageCleanup>();
        var remaining = new List<int>();
        for (var run = 0; run < 4; run++)
        {
            await cleanup.RunAsync(Ct);
            var left = 0;
            foreach (var email in legacy.Keys)
            {
                left += await IsLegacyAsync(users, email) ? 1 : 0;
            }

            remaining.Add(left);
        }

        // Two a run, from where the last one stopped (the cursor row), then done: a fourth run finds nothing to do.
        Assert.Equal([3, 1, 0, 0], remaining);
        var cursor = (await users.GetEntityAsync<TableEntity>("~legacy-move", "cursor", cancellationToken: Ct)).Value;
        Assert.True(cursor.GetBoolean("Done"));
        foreach (var (email, userId) in legacy)
        {
            await AssertMovedAsync(users, email, userId);
            Assert.Equal(userId, (await ResponseAssert.JsonAsync(await new SessionClient(api.Client).LoginAsync(email, Password), HttpStatusCode.OK)).GetProperty("userId").GetString());
        }
    }

    /// <summary>The token of the <paramref name="count"/>th mail to the address, a link to <paramref name="page"/>.</summary>
    private static async Task<string> LinkAsync(MaildevProcess maildev, string email, string page, int count)
    {
        var mails = await maildev.WaitForEmailsAsync(email, count, cancellationToken: Ct);
        return Email.MailLinks.Token(mails.Last(m => (m.Text ?? "").Contains("/" + page + "?token=", StringComparison.Ordinal)), page);
    }

    private static async Task<bool> IsLegacyAsync(TableClient users, string email)
    {
        var row = (await users.GetEntityAsync<TableEntity>(EmailAddress.StorageKey(email), "account", cancellationToken: Ct)).Value;
        return row.GetString("Kind") is null && row.GetString("UserId") is not null;
    }

    /// <summary>The email key holds an identity pointing at the same user id (and nothing of the account's), the account its own row.</summary>
    private static async Task AssertMovedAsync(TableClient users, string email, string userId)
    {
        var identity = (await users.GetEntityAsync<TableEntity>(EmailAddress.StorageKey(email), "account", cancellationToken: Ct)).Value;
        Assert.Equal("email", identity.GetString("Kind"));
        Assert.Equal(userId, identity.GetString("AccountId"));
        Assert.Null(identity.GetString("UserId"));
        Assert.DoesNotContain(identity.Keys, k => k.StartsWith("Moving_", StringComparison.Ordinal));
        var account = (await users.GetEntityAsync<TableEntity>(userId, "user", cancellationToken: Ct)).Value;
        Assert.Equal(email, account.GetString("Email"));
        Assert.Equal(userId, account.GetString("UserId"));
    }
}
