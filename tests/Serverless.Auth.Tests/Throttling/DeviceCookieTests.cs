using System.Net;
using Serverless.Auth.Accounts;
using Serverless.Auth.Passwords;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Throttling;

/// <summary>
/// Device cookies are bound to the user and to the credentials (issue 22, items 2 and 8): a password
/// change or a deletion voids every earlier one, only the newest few are honoured, and the owner's trusted
/// device gets past an attacker's account-wide backoff for a password change and a deletion too.
/// Two instances; the account-wide backoff, once reached, lasts a minute.
/// </summary>
public sealed class DeviceCookieTests(DeviceCookieTests.Instances instances) : IClassFixture<DeviceCookieTests.Instances>
{
    private const string Password = "juniper-canyon-meadow-5512";
    private const string NewPassword = "saffron-glacier-harbor-3081";
    private const int FreeFailures = 3;
    private const int MaxDevices = 3;
    private readonly TestApi api = instances.First;
    private readonly TestApi other = instances.Second;

    public sealed class Instances(AzuriteFixture azurite) : ApiPair(azurite)
    {
        protected override void Configure(Dictionary<string, string?> settings)
        {
            settings["Auth:Throttling:FreeFailures"] = FreeFailures.ToString(System.Globalization.CultureInfo.InvariantCulture);
            settings["Auth:Throttling:BaseDelaySeconds"] = "60";
            settings["Auth:Throttling:MaxDevicesPerAccount"] = MaxDevices.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    private async Task<(SessionClient Owner, string Email)> SignedUpAsync()
    {
        var email = Emails.Unique("device");
        var owner = new SessionClient(api.Client);
        Assert.Equal(HttpStatusCode.Created, (await owner.SignupAsync(email, Password)).StatusCode);
        return (owner, email);
    }

    private async Task<SessionClient> SignedInBrowserAsync(string email, string password)
    {
        var browser = new SessionClient(other.Client);
        Assert.Equal(HttpStatusCode.OK, (await browser.LoginAsync(email, password)).StatusCode);
        Assert.NotNull(browser.Device);
        return browser;
    }

    /// <summary>An attacker without any device cookie guesses until the account-wide backoff holds.</summary>
    private async Task BlockTheAccountAsync(string email)
    {
        var attacker = new SessionClient(other.Client);
        for (var i = 0; i < FreeFailures; i++)
        {
            await attacker.LoginAsync(email, "attacker-guess-" + i);
        }

        await ResponseAssert.ProblemAsync(await attacker.LoginAsync(email, "attacker-guess-last"), HttpStatusCode.TooManyRequests);
    }

    /// <summary>A device cookie alone, in a browser of its own: what someone who kept it can still do with it.</summary>
    private SessionClient WithOnlyTheDeviceCookieOf(SessionClient browser)
    {
        var copy = new SessionClient(api.Client);
        copy.Set("device", browser.Device!);
        return copy;
    }

    [Fact]
    public async Task DeviceCookiesMintedBeforeAPasswordChangeGetNoFreeGuessesAfterIt()
    {
        var (owner, email) = await SignedUpAsync();
        // Someone who knew the old password collected device cookies, each with free failures of its own.
        var collected = new[] { await SignedInBrowserAsync(email, Password), await SignedInBrowserAsync(email, Password) };

        Assert.Equal(HttpStatusCode.OK, (await owner.ChangePasswordAsync(Password, NewPassword)).StatusCode);
        await BlockTheAccountAsync(email);

        foreach (var browser in collected)
        {
            await ResponseAssert.ProblemAsync(await WithOnlyTheDeviceCookieOf(browser).LoginAsync(email, "guess-with-an-old-device"), HttpStatusCode.TooManyRequests);
        }

        // The browser that made the change got a new device cookie, and it still works during the backoff.
        await ResponseAssert.ProblemAsync(await owner.LoginAsync(email, "owner-typo"), HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, (await owner.LoginAsync(email, NewPassword)).StatusCode);
    }

    [Fact]
    public async Task APasswordResetVoidsEveryEarlierDeviceCookie()
    {
        var (owner, email) = await SignedUpAsync();
        var users = api.Service<UserRepository>();
        var newHash = await api.Service<PasswordHasher>().HashAsync(NewPassword, TestContext.Current.CancellationToken);

        // The reset link's write (password/reset), as MailLinks makes it.
        Assert.True(await users.TryResetPasswordAsync((await users.FindByEmailAsync(email, TestContext.Current.CancellationToken))!, newHash, TestContext.Current.CancellationToken));
        await BlockTheAccountAsync(email);

        await ResponseAssert.ProblemAsync(await WithOnlyTheDeviceCookieOf(owner).LoginAsync(email, NewPassword), HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task ADeviceCookieOfADeletedAccountIsWorthNothingForTheAccountRegisteredAgainAtTheSameAddress()
    {
        var (first, email) = await SignedUpAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await first.DeleteAccountAsync(Password)).StatusCode);
        Assert.NotNull(first.Device);
        Assert.Equal(HttpStatusCode.Created, (await new SessionClient(other.Client).SignupAsync(email, NewPassword)).StatusCode);

        await BlockTheAccountAsync(email);

        await ResponseAssert.ProblemAsync(await WithOnlyTheDeviceCookieOf(first).LoginAsync(email, "guess-with-the-old-owners-device"), HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task OnlyTheMostRecentlyIssuedDevicesAreHonoured()
    {
        var (owner, email) = await SignedUpAsync();
        var newest = new List<SessionClient>();
        for (var i = 0; i < MaxDevices; i++)
        {
            newest.Add(await SignedInBrowserAsync(email, Password));
        }

        await BlockTheAccountAsync(email);

        // The signup's device is the fourth newest now: it counts as absent.
        await ResponseAssert.ProblemAsync(await WithOnlyTheDeviceCookieOf(owner).LoginAsync(email, Password), HttpStatusCode.TooManyRequests);
        foreach (var browser in newest)
        {
            Assert.Equal(HttpStatusCode.OK, (await browser.LoginAsync(email, Password)).StatusCode);
        }

        // Signing in again from a browser the account honours issues no new device: the others stay honoured.
        Assert.Equal(HttpStatusCode.OK, (await newest[0].LoginAsync(email, Password)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await newest[1].LoginAsync(email, Password)).StatusCode);
    }

    [Fact]
    public async Task TheOwnerOnATrustedDeviceChangesThePasswordAndDeletesTheAccountWhileAnAttackerHoldsTheBackoff()
    {
        var (owner, email) = await SignedUpAsync();
        await BlockTheAccountAsync(email);

        Assert.Equal(HttpStatusCode.OK, (await owner.ChangePasswordAsync(Password, NewPassword)).StatusCode);
        await BlockTheAccountAsync(email);
        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAccountAsync(NewPassword)).StatusCode);

        Assert.Equal(HttpStatusCode.Created, (await new SessionClient(api.Client).SignupAsync(email, Password)).StatusCode);
    }
}
