using System.Net;
using Azure.Data.Tables;
using Serverless.Auth.Accounts;
using Serverless.Auth.Storage;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Storage;

/// <summary>
/// What the previous release stored (run from this repository's history on the same tables) is read by two
/// instances of this one at once: sessions without a device binding, accounts without device counts, its
/// device cookies, access tokens without auth_time and its per-user cut-offs. No migration is needed; these
/// tests are why.
/// </summary>
public sealed class PreviousReleaseDataTests(AzuriteFixture azurite)
{
    private const string Password = "plum-orchard-lantern-4821";
    private const string NewPassword = "copper-heron-glacier-9917";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SessionsAccountsDeviceCookiesTokensAndCutOffsOfThePreviousReleaseWorkOnTwoNewInstances()
    {
        var settings = azurite.Settings(s => s["Auth:Session:ReuseGraceSeconds"] = "30");
        var email = Emails.Unique("upgrade");
        var signedOutEmail = Emails.Unique("upgrade-cutoff");
        SessionClient laptop, phone, signedOut;
        await using (var previous = await PreviousRelease.StartAsync(settings))
        {
            using var client = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = previous.BaseAddress };
            laptop = new SessionClient(client);
            Assert.Equal(HttpStatusCode.Created, (await laptop.SignupAsync(email, Password)).StatusCode);
            phone = new SessionClient(client);
            Assert.Equal(HttpStatusCode.OK, (await phone.LoginAsync(email, Password)).StatusCode);
            signedOut = new SessionClient(client);
            Assert.Equal(HttpStatusCode.Created, (await signedOut.SignupAsync(signedOutEmail, Password)).StatusCode);
            var stale = signedOut.CopyTo(client);
            Assert.Equal(HttpStatusCode.NoContent, (await stale.LogoutAllAsync()).StatusCode);
        }

        // The old shapes, as the previous release left them.
        var users = new TableServiceClient(azurite.ConnectionString).GetTableClient(settings["Auth:Storage:UsersTable"]);
        var account = (await users.GetEntityAsync<TableEntity>(EmailAddress.StorageKey(email), "account", cancellationToken: Ct)).Value;
        Assert.False(account.ContainsKey("DevicesIssued"));
        Assert.Matches("^[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}$", laptop.Device);

        await using var first = await TestApi.StartAsync(settings, cancellationToken: Ct);
        await using var second = await TestApi.StartAsync(settings, cancellationToken: Ct);
        var laptopHere = laptop.CopyTo(first.Client);
        var laptopTabThere = laptop.CopyTo(second.Client);

        // Its access tokens (no auth_time) verify; its cut-off still ends the signed-out session.
        Assert.Equal(HttpStatusCode.OK, (await laptopHere.VerifyAsync()).StatusCode);
        await ResponseAssert.ProblemAsync(await signedOut.CopyTo(second.Client).VerifyAsync(), HttpStatusCode.Unauthorized);
        await ResponseAssert.ProblemAsync(await signedOut.CopyTo(first.Client).RefreshAsync(), HttpStatusCode.Unauthorized);

        // Two tabs of the laptop refresh its old session at once, one on each instance: the first rotation binds it
        // to the laptop's old device cookie, and the other tab shares the successor through the grace window.
        var refreshes = await Task.WhenAll(laptopHere.RefreshAsync(), laptopTabThere.RefreshAsync());
        Assert.All(refreshes, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(laptopHere.Refresh, laptopTabThere.Refresh);
        var sessions = new TableServiceClient(azurite.ConnectionString).GetTableClient(settings["Auth:Storage:SessionsTable"]);
        var bound = (await sessions.GetEntityAsync<TableEntity>(laptopHere.Refresh!.Split('.')[0], laptopHere.Refresh.Split('.')[1], cancellationToken: Ct)).Value;
        Assert.Equal(Serverless.Auth.Sessions.DeviceBinding.Of(laptop.Device![..22]), bound.GetString("DeviceHash"));

        // Bound now: the refresh cookie without the laptop's device cookie is refused, with it the chain goes on.
        var copied = laptopHere.CopyTo(second.Client);
        copied.Forget("device");
        await ResponseAssert.ProblemAsync(await copied.RefreshAsync(), HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, (await laptopHere.RefreshAsync()).StatusCode);

        // The old device cookie counts as absent for the login backoff; a login issues a counted one.
        var phoneHere = phone.CopyTo(second.Client);
        Assert.Equal(HttpStatusCode.OK, (await phoneHere.LoginAsync(email, Password)).StatusCode);
        Assert.Matches("^[A-Za-z0-9_-]{22}\\.[0-9a-f-]{36}\\.1\\.[A-Za-z0-9_-]{43}$", phoneHere.Device);

        // A password change on the old account row: every old session ends, the new password signs in.
        Assert.Equal(HttpStatusCode.OK, (await laptopHere.ChangePasswordAsync(Password, NewPassword)).StatusCode);
        await ResponseAssert.ProblemAsync(await phone.CopyTo(first.Client).RefreshAsync(), HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, (await new SessionClient(second.Client).LoginAsync(email, NewPassword)).StatusCode);
    }
}
