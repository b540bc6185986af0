using System.Net;
using Serverless.Auth.Http;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Sessions;

/// <summary>
/// Cookies planted by a sibling subdomain or an http page (issue 13): read by their exact name;
/// several values are believed only when the valid ones belong to one user; never session fixation.
/// </summary>
public sealed class PlantedCookieTests(SharedApi shared) : IClassFixture<SharedApi>
{
    private const string Password = "plum-orchard-lantern-4821";
    private readonly TestApi api = shared.Api;


    private async Task<SessionClient> SignedUpAsync()
    {
        var browser = new SessionClient(api.Client);
        Assert.Equal(HttpStatusCode.Created, (await browser.SignupAsync($"p-{Guid.NewGuid():N}@example.com", Password)).StatusCode);
        return browser;
    }

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string cookieHeader)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("Cookie", cookieHeader);
        return api.Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    [Theory]
    [InlineData("AUTH")]
    [InlineData("Auth")]
    [InlineData("__HOST-auth")]
    [InlineData("__Host-auth")]
    [InlineData(" auth2")]
    public async Task AccessCookieIsReadByItsExactNameOnly(string plantedName)
    {
        var victim = await SignedUpAsync();

        await ResponseAssert.ProblemAsync(await SendAsync(HttpMethod.Get, AuthApi.Verify.Path, $"{plantedName}={victim.Access}"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task TwoAccessCookiesOfDifferentUsersAreNoSessionAtAll()
    {
        var victim = await SignedUpAsync();
        var attacker = await SignedUpAsync();

        foreach (var order in new[] { $"auth={attacker.Access}; auth={victim.Access}", $"auth={victim.Access}; auth={attacker.Access}" })
        {
            await ResponseAssert.ProblemAsync(await SendAsync(HttpMethod.Get, AuthApi.Verify.Path, order), HttpStatusCode.Unauthorized);
            await ResponseAssert.ProblemAsync(await SendAsync(HttpMethod.Get, AuthApi.Sessions.Path, order), HttpStatusCode.Unauthorized);
        }
    }

    [Fact]
    public async Task AnInvalidOrStaleDuplicateOfTheSameUserIsIgnored()
    {
        var user = await SignedUpAsync();
        var older = user.Access;
        Assert.Equal(HttpStatusCode.OK, (await user.RefreshAsync()).StatusCode);

        var response = await SendAsync(HttpMethod.Get, AuthApi.Verify.Path, $"auth=garbage.token.value; auth={older}; auth={user.Access}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task APlantedRefreshCookieOfAnotherUserSwitchesNoOneAndKillsNoSession()
    {
        var victim = await SignedUpAsync();
        var attacker = await SignedUpAsync();

        var response = await SendAsync(HttpMethod.Post, AuthApi.Refresh.Path, $"refresh={attacker.Refresh}; refresh={victim.Refresh}");

        await ResponseAssert.ProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, (await victim.RefreshAsync()).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await attacker.RefreshAsync()).StatusCode);
    }

    [Fact]
    public async Task AStaleRefreshDuplicateDoesNotTriggerReuseDetection()
    {
        var user = await SignedUpAsync();
        var retired = user.Refresh;
        Assert.Equal(HttpStatusCode.OK, (await user.RefreshAsync()).StatusCode);

        // An older copy (e.g. left over from before a Partitioned switch) next to the live token, from the user's browser.
        var response = await SendAsync(HttpMethod.Post, AuthApi.Refresh.Path, $"refresh={retired}; refresh={user.Refresh}; device={user.Device}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(".2.", SetCookie.Raw(response, "refresh"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFloodOfRefreshValuesIsNoSession()
    {
        var user = await SignedUpAsync();
        var forged = Enumerable.Range(0, 10).Select(_ => Serverless.Auth.Sessions.RefreshToken.Start(user.Refresh!.Split('.')[0], Serverless.Auth.Sessions.RefreshToken.NewSessionId()).ToString());

        var response = await SendAsync(HttpMethod.Post, AuthApi.Refresh.Path, string.Join("; ", forged.Append(user.Refresh).Select(v => "refresh=" + v)));

        await ResponseAssert.ProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, (await user.RefreshAsync()).StatusCode);
    }
}
