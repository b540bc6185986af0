using System.Net;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Sessions;

/// <summary>
/// A thief who copied the access and refresh cookies once (a HAR file, a log, a proxy), but not the device
/// cookie, never keeps a session of its own (issue 22, item 1): two instances, the grace window on.
/// </summary>
public sealed class StolenCookieTests(StolenCookieTests.Instances instances) : IClassFixture<StolenCookieTests.Instances>
{
    private const string Password = "plum-orchard-lantern-4821";
    private readonly TestApi api = instances.First;
    private readonly TestApi other = instances.Second;

    public sealed class Instances(AzuriteFixture azurite) : ApiPair(azurite)
    {
        protected override void Configure(Dictionary<string, string?> settings)
        {
            settings["Auth:Session:ReuseGraceSeconds"] = "30";
            settings["Auth:Throttling:LoginPerMinute"] = "5";
        }
    }

    private async Task<SessionClient> SignedUpAsync()
    {
        var victim = new SessionClient(api.Client);
        Assert.Equal(HttpStatusCode.Created, (await victim.SignupAsync(Emails.Unique("stolen"), Password)).StatusCode);
        Assert.NotNull(victim.Device);
        return victim;
    }

    /// <summary>What leaked: the two session cookies, not the device cookie (optionally replaced by the thief's own).</summary>
    private static SessionClient Steal(SessionClient victim, HttpClient client, string? device = null)
    {
        var thief = victim.CopyTo(client);
        thief.Forget("device");
        if (device is not null)
        {
            thief.Set("device", device);
        }

        return thief;
    }

    [Fact]
    public async Task TheJustRetiredTokenWithoutTheDeviceCookieEndsTheSessionInsteadOfSharingItsSuccessor()
    {
        var victim = await SignedUpAsync();
        var thief = Steal(victim, other.Client);
        Assert.Equal(HttpStatusCode.OK, (await victim.RefreshAsync()).StatusCode);

        // Within the grace window: a racing tab would get the successor; the thief gets nothing, and the chain ends.
        await ResponseAssert.ProblemAsync(await thief.RefreshAsync(), HttpStatusCode.Unauthorized);
        await ResponseAssert.ProblemAsync(await victim.RefreshAsync(), HttpStatusCode.Unauthorized);
        await ResponseAssert.EventuallyAsync(async () => (await victim.VerifyAsync()).StatusCode == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task TheJustRetiredTokenWithAnotherBrowsersDeviceCookieEndsTheSessionToo()
    {
        var victim = await SignedUpAsync();
        var thiefsOwn = await SignedUpAsync();
        var thief = Steal(victim, other.Client, thiefsOwn.Device);
        Assert.Equal(HttpStatusCode.OK, (await victim.RefreshAsync()).StatusCode);

        await ResponseAssert.ProblemAsync(await thief.RefreshAsync(), HttpStatusCode.Unauthorized);
        await ResponseAssert.ProblemAsync(await victim.RefreshAsync(), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task TheCurrentTokenWithoutTheDeviceCookieIsRefusedAndTheVictimGoesOn()
    {
        var victim = await SignedUpAsync();
        var thief = Steal(victim, other.Client);

        // The thief acting first cannot rotate (it would then hand the victim its successor through the grace window).
        await ResponseAssert.ProblemAsync(await thief.RefreshAsync(), HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, (await victim.RefreshAsync()).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await victim.RefreshAsync()).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await victim.VerifyAsync()).StatusCode);
    }

    [Fact]
    public async Task TabsOfTheSameBrowserStillShareOneSuccessorOnEitherInstance()
    {
        var tab = await SignedUpAsync();
        var otherTab = tab.CopyTo(other.Client);
        Assert.Equal(HttpStatusCode.OK, (await tab.RefreshAsync()).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await otherTab.RefreshAsync()).StatusCode);
        Assert.Equal(tab.Refresh, otherTab.Refresh);
        Assert.Equal(HttpStatusCode.OK, (await tab.RefreshAsync()).StatusCode);
    }

    [Fact]
    public async Task TheSessionListIsRateLimitedLikeTheOtherSessionRequests()
    {
        var victim = await SignedUpAsync();
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await victim.SessionsAsync()).StatusCode);
        }

        var refused = await victim.SessionsAsync();
        var problem = await ResponseAssert.ProblemAsync(refused, HttpStatusCode.TooManyRequests);
        Assert.True(refused.Headers.RetryAfter is not null);
        Assert.True(problem.GetProperty("retryAfter").GetInt32() > 0);
    }
}
