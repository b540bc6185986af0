using System.Net;
using Serverless.Auth.Http;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Mfa;

/// <summary>
/// Second factors against the release before them (built from this repository's history), on the same tables as two
/// instances of this one: what it stored is read (no migration: the new columns are absent and mean "none"), and while
/// it still serves during a roll-out it can never sign an account with a factor in with the password alone.
/// </summary>
public sealed class SecondFactorRolloutTests(AzuriteFixture azurite)
{
    private const string Password = "plum-orchard-lantern-4821";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheEarlierReleasesDataWorksAndItRefusesThePasswordOfAnAccountWithAFactor()
    {
        var settings = azurite.Settings();
        var withFactor = Emails.Unique("rollout-mfa");
        var without = Emails.Unique("rollout-plain");
        await using var previous = await PreviousRelease.StartAsync(settings, PreviousRelease.BeforeSecondFactors);
        using var oldClient = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = previous.BaseAddress };
        var laptop = new SessionClient(oldClient);
        Assert.Equal(HttpStatusCode.Created, (await laptop.SignupAsync(withFactor, Password)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await new SessionClient(oldClient).SignupAsync(without, Password)).StatusCode);

        await using var first = await TestApi.StartAsync(settings, cancellationToken: Ct);
        await using var second = await TestApi.StartAsync(settings, cancellationToken: Ct);

        // Its session refreshes here and speaks for a password sign-in; its accounts sign in without a second step.
        var laptopHere = laptop.CopyTo(first.Client);
        Assert.Equal(HttpStatusCode.OK, (await laptopHere.RefreshAsync()).StatusCode);
        var who = await ResponseAssert.JsonAsync(await laptopHere.VerifyAsync(), HttpStatusCode.OK);
        Assert.Equal(["pwd"], who.GetProperty("amr").EnumerateArray().Select(m => m.GetString()));
        var plain = await ResponseAssert.JsonAsync(await new SessionClient(second.Client).LoginAsync(without, Password), HttpStatusCode.OK);
        Assert.Equal("signed_in", plain.GetProperty("status").GetString());

        // A factor enabled on this release, through the old release's session.
        var setup = await ResponseAssert.JsonAsync(
            await laptopHere.SendAsync(HttpMethod.Post, AuthApi.MfaTotpSetup.Path, new { password = Password }), HttpStatusCode.OK);
        var secret = setup.GetProperty("secret").GetString()!;
        await ResponseAssert.JsonAsync(
            await laptopHere.SendAsync(HttpMethod.Post, AuthApi.MfaTotpEnable.Path, new { code = await Oathtool.CodeAsync(secret) }), HttpStatusCode.OK);

        // Both new instances at once ask for the second step; the old release refuses the password (it cannot read the
        // fenced hash) rather than skip the factor it does not know, and still signs the other account in.
        var logins = await Task.WhenAll(new SessionClient(first.Client).LoginAsync(withFactor, Password), new SessionClient(second.Client).LoginAsync(withFactor, Password));
        foreach (var login in logins)
        {
            Assert.Equal("mfa_required", (await ResponseAssert.JsonAsync(login, HttpStatusCode.OK)).GetProperty("status").GetString());
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await new SessionClient(oldClient).LoginAsync(withFactor, Password)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await new SessionClient(oldClient).LoginAsync(without, Password)).StatusCode);
        var oldSession = new SessionClient(oldClient);
        Assert.Equal(HttpStatusCode.OK, (await oldSession.LoginAsync(without, Password)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await oldSession.CopyTo(second.Client).VerifyAsync()).StatusCode);
    }
}
