using System.Net;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Sessions;

/// <summary>At most <c>Auth__Session__MaxPerUser</c> live sessions: a new one ends the least recently used (issue 22, item 10).</summary>
public sealed class SessionCapTests(AzuriteFixture azurite)
{
    private const string Password = "plum-orchard-lantern-4821";

    [Fact]
    public async Task ALoginBeyondTheCapEndsTheLeastRecentlyUsedSession()
    {
        await using var api = await azurite.StartApiAsync(s => s["Auth:Session:MaxPerUser"] = "3");
        var email = Emails.Unique("cap");
        var first = new SessionClient(api.Client);
        Assert.Equal(HttpStatusCode.Created, (await first.SignupAsync(email, Password)).StatusCode);
        var second = new SessionClient(api.Client);
        var third = new SessionClient(api.Client);
        Assert.Equal(HttpStatusCode.OK, (await second.LoginAsync(email, Password)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await third.LoginAsync(email, Password)).StatusCode);
        // The oldest session is the most recently used one now.
        await Task.Delay(20, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, (await first.RefreshAsync()).StatusCode);

        var fourth = new SessionClient(api.Client);
        Assert.Equal(HttpStatusCode.OK, (await fourth.LoginAsync(email, Password)).StatusCode);

        await ResponseAssert.ProblemAsync(await second.RefreshAsync(), HttpStatusCode.Unauthorized);
        await ResponseAssert.ProblemAsync(await second.VerifyAsync(), HttpStatusCode.Unauthorized);
        foreach (var live in new[] { first, third, fourth })
        {
            Assert.Equal(HttpStatusCode.OK, (await live.RefreshAsync()).StatusCode);
        }

        var list = await ResponseAssert.JsonAsync(await fourth.SessionsAsync(), HttpStatusCode.OK);
        Assert.Equal(3, list.GetArrayLength());
    }
}
