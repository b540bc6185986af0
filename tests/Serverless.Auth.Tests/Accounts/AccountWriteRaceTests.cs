using System.Net;
using Serverless.Auth.Accounts;
using Serverless.Auth.Email;
using Serverless.Auth.Tests.Infrastructure;

namespace Serverless.Auth.Tests.Accounts;

/// <summary>
/// A password change or deletion writes the account with the ETag it was read with. Writes that do not
/// touch the password (the mail sender recording a mail, a confirmation) must not make it fail; another
/// password change must (real Azurite, deterministic interleaving through the services).
/// </summary>
public sealed class AccountWriteRaceTests(SharedApi shared) : IClassFixture<SharedApi>
{
    private const string Password = "plum-orchard-lantern-4821";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(UserRepository Users, AccountService Accounts, UserAccount Stale)> SignedUpAsync(string name)
    {
        var email = Emails.Unique(name);
        Assert.Equal(HttpStatusCode.Created, (await shared.Api.SignupAsync(email, Password)).StatusCode);
        var users = shared.Api.Service<UserRepository>();
        return (users, shared.Api.Service<AccountService>(), (await users.FindByEmailAsync(email, Ct))!);
    }

    [Fact]
    public async Task AMailRecordedMeanwhileDoesNotFailAPasswordChange()
    {
        var (users, accounts, stale) = await SignedUpAsync("race-stamp");
        Assert.True(await users.TryStampMailAsync(stale, MailKind.Confirm, new MailStamp("hash", DateTimeOffset.UtcNow), Ct));

        Assert.IsType<PasswordChangeResult.Changed>(await accounts.ChangePasswordAsync(stale, "quartz-harbor-meadow-7390", () => Task.CompletedTask, Ct));
        Assert.Equal(HttpStatusCode.OK, (await shared.Api.LoginAsync(stale.Email, "quartz-harbor-meadow-7390")).StatusCode);
    }

    [Fact]
    public async Task AConfirmationMeanwhileDoesNotFailADeletion()
    {
        var (users, accounts, stale) = await SignedUpAsync("race-confirm");
        Assert.True(await users.TryConfirmEmailAsync(stale, Ct));

        Assert.True(await accounts.DeleteAsync(stale, Ct));
        Assert.Null(await users.FindByEmailAsync(stale.Email, Ct));
    }

    [Fact]
    public async Task AnotherPasswordChangeMeanwhileStillFailsTheStaleOne()
    {
        var (users, accounts, stale) = await SignedUpAsync("race-password");
        Assert.True(await users.TryChangePasswordAsync(stale, "other", Ct));

        Assert.IsType<PasswordChangeResult.Conflict>(await accounts.ChangePasswordAsync(stale, "quartz-harbor-meadow-7390", () => Task.CompletedTask, Ct));
        Assert.False(await accounts.DeleteAsync(stale, Ct));
    }
}
