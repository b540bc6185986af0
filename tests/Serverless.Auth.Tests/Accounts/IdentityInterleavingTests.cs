using System.Net;
using Azure.Data.Tables;
using Microsoft.AspNetCore.Builder;
using Serverless.Auth.Accounts;
using Serverless.Auth.Http;
using Serverless.Auth.Passwords;
using Serverless.Auth.Storage;
using Serverless.Auth.Tests.Email;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Accounts;

/// <summary>
/// An account and its email identity live in different partitions, so no write covers both. Each test stops an
/// instance between two of those writes (a storage stall injected at that step: before it, nothing is written; after
/// it, the write landed but its answer was lost) or holds it there while another request runs, on real Azurite. No
/// interleaving leaves an address unusable, an account reachable through two addresses, or two accounts on one.
/// </summary>
public sealed class IdentityInterleavingTests(AzuriteFixture azurite, MaildevFixture mail) : IClassFixture<MaildevFixture>
{
    private const string Password = "plum-orchard-lantern-4821";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ASignupStoppedBeforeItsIdentityLeavesTheAddressFree()
    {
        var hook = new StorageHook();
        await using var api = await StartAsync(azurite.Settings(), hook);
        var email = Emails.Unique("stopped-signup");
        var posts = 0;
        hook.Arm((method, table) => method == "POST" && table == Users(api) && ++posts == 2, before: StorageHook.Stall);

        await ResponseAssert.ProblemAsync(await new SessionClient(api.Client).SignupAsync(email, Password), HttpStatusCode.ServiceUnavailable);

        Assert.True(hook.Fired);
        var signup = await ResponseAssert.JsonAsync(await new SessionClient(api.Client).SignupAsync(email, Password), HttpStatusCode.Created);
        var login = await ResponseAssert.JsonAsync(await new SessionClient(api.Client).LoginAsync(email, Password), HttpStatusCode.OK);
        Assert.Equal(signup.GetProperty("userId").GetString(), login.GetProperty("userId").GetString());
    }

    [Fact]
    public async Task ASignupWhoseIdentityAnswerWasLostOwnsTheAddress()
    {
        var hook = new StorageHook();
        await using var api = await StartAsync(azurite.Settings(), hook);
        var email = Emails.Unique("lost-answer");
        var posts = 0;
        hook.Arm((method, table) => method == "POST" && table == Users(api) && ++posts == 2, after: StorageHook.Stall);

        await ResponseAssert.ProblemAsync(await new SessionClient(api.Client).SignupAsync(email, Password), HttpStatusCode.ServiceUnavailable);

        Assert.True(hook.Fired);
        Assert.Equal(HttpStatusCode.OK, (await new SessionClient(api.Client).LoginAsync(email, Password)).StatusCode);
        await ResponseAssert.ProblemAsync(await new SessionClient(api.Client).SignupAsync(email, Password), HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task AnEmailChangeStoppedAfterClaimingTheNewAddressChangesNothingAndTheAddressStaysFree()
    {
        var maildev = mail.Maildev;
        var hook = new StorageHook();
        await using var api = await StartAsync(MailApi.Settings(azurite, maildev), hook, withMail: true);
        var (old, wanted) = (Emails.Unique("claim-stop-old"), Emails.Unique("claim-stop-new"));
        var browser = new SessionClient(api.Client);
        var userId = await browser.SignUpForUserIdAsync(old, Password);
        var token = await ChangeLinkAsync(browser, maildev, old, wanted);

        hook.Arm((method, table) => method is "MERGE" or "PATCH" && table == Users(api), before: StorageHook.Stall);
        await ResponseAssert.ProblemAsync(await browser.ConfirmEmailChangeAsync(token), HttpStatusCode.ServiceUnavailable);

        // The claimed identity points at an account that does not point back: absent. The account keeps its address.
        Assert.True(hook.Fired);
        Assert.Equal(userId, await LoginAsync(api, old));
        await ResponseAssert.ProblemAsync(await new SessionClient(api.Client).LoginAsync(wanted, Password), HttpStatusCode.Unauthorized);

        // Someone else can sign up with it (the stale identity is removed); the link then finds the address taken.
        var stranger = await new SessionClient(api.Client).SignUpForUserIdAsync(wanted, Password);
        var taken = await ResponseAssert.ProblemAsync(await browser.ConfirmEmailChangeAsync(token), HttpStatusCode.BadRequest);
        Assert.Equal("email_taken", taken.GetProperty("code").GetString());
        Assert.Equal(userId, await LoginAsync(api, old));
        Assert.Equal(stranger, await LoginAsync(api, wanted));
    }

    [Fact]
    public async Task AnEmailChangeStoppedAfterClaimingCompletesWhenItsLinkIsUsedAgain()
    {
        var maildev = mail.Maildev;
        var hook = new StorageHook();
        await using var api = await StartAsync(MailApi.Settings(azurite, maildev), hook, withMail: true);
        var (old, wanted) = (Emails.Unique("claim-retry-old"), Emails.Unique("claim-retry-new"));
        var browser = new SessionClient(api.Client);
        var userId = await browser.SignUpForUserIdAsync(old, Password);
        var token = await ChangeLinkAsync(browser, maildev, old, wanted);

        hook.Arm((method, table) => method is "MERGE" or "PATCH" && table == Users(api), before: StorageHook.Stall);
        await ResponseAssert.ProblemAsync(await browser.ConfirmEmailChangeAsync(token), HttpStatusCode.ServiceUnavailable);

        Assert.Equal(wanted, (await ResponseAssert.JsonAsync(await browser.ConfirmEmailChangeAsync(token), HttpStatusCode.OK)).GetProperty("email").GetString());
        Assert.Equal(userId, await LoginAsync(api, wanted));
        await ResponseAssert.ProblemAsync(await new SessionClient(api.Client).LoginAsync(old, Password), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task AnEmailChangeStoppedBeforeFreeingTheOldAddressIsCompleteAndTheOldAddressCanSignUpAgain()
    {
        var maildev = mail.Maildev;
        var hook = new StorageHook();
        await using var api = await StartAsync(MailApi.Settings(azurite, maildev), hook, withMail: true);
        var (old, wanted) = (Emails.Unique("release-stop-old"), Emails.Unique("release-stop-new"));
        var browser = new SessionClient(api.Client);
        var userId = await browser.SignUpForUserIdAsync(old, Password);
        var token = await ChangeLinkAsync(browser, maildev, old, wanted);

        // The old identity is released by a conditional replace (the change itself was a merge of the account row).
        hook.Arm((method, table) => method == "PUT" && table == Users(api), before: StorageHook.Stall);
        await ResponseAssert.ProblemAsync(await browser.ConfirmEmailChangeAsync(token), HttpStatusCode.ServiceUnavailable);

        // The old identity still points at the account, which no longer points back: the account has one address.
        Assert.True(hook.Fired);
        Assert.Equal(userId, await LoginAsync(api, wanted));
        await ResponseAssert.ProblemAsync(await new SessionClient(api.Client).LoginAsync(old, Password), HttpStatusCode.Unauthorized);
        var newcomer = await new SessionClient(api.Client).SignUpForUserIdAsync(old, Password);
        Assert.NotEqual(userId, newcomer);
        Assert.Equal(newcomer, await LoginAsync(api, old));
        Assert.Equal(userId, await LoginAsync(api, wanted));
    }

    [Fact]
    public async Task ADeletionStoppedBeforeFreeingTheAddressHasDeletedTheAccountAndTheAddressCanSignUpAgain()
    {
        var hook = new StorageHook();
        await using var api = await StartAsync(azurite.Settings(), hook);
        var email = Emails.Unique("delete-stop");
        var browser = new SessionClient(api.Client);
        var userId = await browser.SignUpForUserIdAsync(email, Password);

        // The account row becomes a tombstone (the first replace), then its identity is released (the second).
        var replaces = 0;
        hook.Arm((method, table) => method == "PUT" && table == Users(api) && ++replaces == 2, before: StorageHook.Stall);
        await ResponseAssert.ProblemAsync(await browser.DeleteAccountAsync(Password), HttpStatusCode.ServiceUnavailable);

        Assert.True(hook.Fired);
        await ResponseAssert.ProblemAsync(await new SessionClient(api.Client).LoginAsync(email, Password), HttpStatusCode.Unauthorized);
        var tombstone = (await api.Service<AuthTables>().Users.GetEntityAsync<TableEntity>(userId, "user", cancellationToken: Ct)).Value;
        Assert.True(tombstone.GetBoolean("Deleted"));
        Assert.Null(tombstone.GetString("Email"));
        Assert.Null(tombstone.GetString("PasswordHash"));
        Assert.NotEqual(userId, await new SessionClient(api.Client).SignUpForUserIdAsync(email, Password));
    }

    [Fact]
    public async Task ASignupForAnAddressAnEmailChangeHasJustClaimedTakesItOnlyByFailingTheChange()
    {
        // Two instances: the change holds between claiming the new address and pointing its account at it; a signup
        // for that address on the other instance sees an identity whose account does not point back, removes it
        // (writing that account first) and signs up. The change then loses its ETag and finds the address taken.
        var maildev = mail.Maildev;
        var settings = MailApi.Settings(azurite, maildev);
        var hook = new StorageHook();
        await using var changing = await StartAsync(settings, hook, withMail: true);
        await using var signingUp = await TestApi.StartAsync(settings, cancellationToken: Ct);
        var (old, wanted) = (Emails.Unique("race-old"), Emails.Unique("race-new"));
        var browser = new SessionClient(changing.Client);
        var userId = await browser.SignUpForUserIdAsync(old, Password);
        var token = await ChangeLinkAsync(browser, maildev, old, wanted);

        var claimed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var signedUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        hook.Arm(
            (method, table) => method is "MERGE" or "PATCH" && table == Users(changing),
            before: async () =>
            {
                claimed.SetResult();
                await signedUp.Task;
            });
        var change = browser.ConfirmEmailChangeAsync(token);
        await claimed.Task;
        var stranger = await new SessionClient(signingUp.Client).SignUpForUserIdAsync(wanted, Password);
        signedUp.SetResult();

        var taken = await ResponseAssert.ProblemAsync(await change, HttpStatusCode.BadRequest);
        Assert.Equal("email_taken", taken.GetProperty("code").GetString());
        Assert.Equal(userId, await LoginAsync(signingUp, old));
        Assert.Equal(stranger, await LoginAsync(changing, wanted));
        var account = (await changing.Service<AuthTables>().Users.GetEntityAsync<TableEntity>(userId, "user", cancellationToken: Ct)).Value;
        Assert.Equal(old, account.GetString("Email"));
    }

    [Fact]
    public async Task AMoveStoppedBetweenTheIdentityAndTheAccountRowIsFinishedByTheNextTouchAndTheAddressStaysTaken()
    {
        var hook = new StorageHook();
        await using var api = await StartAsync(azurite.Settings(), hook);
        var email = Emails.Unique("move-stop");
        var userId = Guid.CreateVersion7().ToString();
        var users = api.Service<AuthTables>().Users;
        // An account as the previous release stored it: at the email key, with its user id and hash in the row.
        await users.AddEntityAsync(
            new TableEntity(EmailAddress.StorageKey(email), "account")
            {
                ["UserId"] = userId,
                ["Email"] = email,
                ["PasswordHash"] = await api.Service<PasswordHasher>().HashAsync(Password, Ct),
                ["CreatedAt"] = DateTimeOffset.UtcNow,
                ["EmailConfirmed"] = true,
            },
            Ct);

        // The login's first write moves the account: the identity (carrying its columns) lands, the account row does not.
        hook.Arm((method, table) => method == "POST" && table == Users(api), before: StorageHook.Stall);
        await ResponseAssert.ProblemAsync(await new SessionClient(api.Client).LoginAsync(email, Password), HttpStatusCode.ServiceUnavailable);
        Assert.True(hook.Fired);
        var moving = (await users.GetEntityAsync<TableEntity>(EmailAddress.StorageKey(email), "account", cancellationToken: Ct)).Value;
        Assert.Equal(userId, moving.GetString("AccountId"));
        Assert.Equal(email, moving.GetString("Moving_Email"));
        Assert.Null(moving.GetString("UserId"));

        // Half moved, the address is taken and the password works; the next write finishes the move.
        await ResponseAssert.ProblemAsync(await new SessionClient(api.Client).SignupAsync(email, Password), HttpStatusCode.Conflict);
        var login = await ResponseAssert.JsonAsync(await new SessionClient(api.Client).LoginAsync(email, Password), HttpStatusCode.OK);
        Assert.Equal(userId, login.GetProperty("userId").GetString());
        Assert.True(login.GetProperty("emailConfirmed").GetBoolean());
        var account = (await users.GetEntityAsync<TableEntity>(userId, "user", cancellationToken: Ct)).Value;
        Assert.Equal(email, account.GetString("Email"));
        var identity = (await users.GetEntityAsync<TableEntity>(EmailAddress.StorageKey(email), "account", cancellationToken: Ct)).Value;
        Assert.DoesNotContain(identity.Keys, k => k.StartsWith("Moving_", StringComparison.Ordinal));
    }

    /// <summary>
    /// An instance whose storage steps the hook sees. Without maildev in the settings the mail sender is left out, so
    /// its writes (a mail stamp on the account) cannot move the counted step; with it, tests arm the hook only once
    /// the mails they wait for have gone out.
    /// </summary>
    private static Task<TestApi> StartAsync(Dictionary<string, string?> settings, StorageHook hook, bool withMail = false) =>
        TestApi.StartAsync(
            settings,
            (WebApplicationBuilder builder) =>
            {
                builder.Services.PostConfigure<StorageOptions>(o => o.PipelineObserver = hook);
                if (!withMail)
                {
                    builder.Services.RemoveMailAndCleanup();
                }
            },
            cancellationToken: Ct);

    private static string Users(TestApi api) => api.Settings["Auth:Storage:UsersTable"]!;


    private static async Task<string?> LoginAsync(TestApi api, string email) =>
        (await ResponseAssert.JsonAsync(await new SessionClient(api.Client).LoginAsync(email, Password), HttpStatusCode.OK)).GetProperty("userId").GetString();

    /// <summary>Asks for the change and returns the link's token, once the notice to the old address has gone out too.</summary>
    private static async Task<string> ChangeLinkAsync(SessionClient browser, MaildevProcess maildev, string old, string wanted)
    {
        Assert.Equal(HttpStatusCode.Accepted, (await browser.ChangeEmailAsync(wanted, Password)).StatusCode);
        var link = Assert.Single(await maildev.WaitForEmailsAsync(wanted, cancellationToken: Ct));
        await maildev.WaitForEmailsAsync(old, 2, cancellationToken: Ct);
        return MailLinks.Token(link, "email-change");
    }

}
