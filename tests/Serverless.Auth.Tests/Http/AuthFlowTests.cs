using System.Net;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Http;

public sealed class AuthFlowTests(SharedApi shared) : IClassFixture<SharedApi>
{
    private const string Password = "correct horse battery staple";
    private readonly TestApi api = shared.Api;

    [Fact]
    public async Task SignupCreatesAccountAndSignsIn()
    {
        var response = await api.SignupAsync("  Ann.Smith@Example.COM ", Password);

        var body = await ResponseAssert.JsonAsync(response, HttpStatusCode.Created);
        Assert.Equal("ann.smith@example.com", body.GetProperty("email").GetString());
        Assert.True(Guid.TryParse(body.GetProperty("userId").GetString(), out _));
        var cookie = SetCookie.Access(response);
        Assert.Equal("auth", cookie.Name.ToString());
        Assert.True(cookie.HttpOnly);
        Assert.Equal(TimeSpan.FromMinutes(15), cookie.MaxAge);
        Assert.Equal("/", cookie.Path.ToString());

        var verify = await ResponseAssert.JsonAsync(await api.VerifyAsync(SetCookie.CookieHeader(response)), HttpStatusCode.OK);
        Assert.Equal(body.GetProperty("userId").GetString(), verify.GetProperty("userId").GetString());
    }

    [Fact]
    public async Task SignupThenVerifyThenLogoutRevokesTheOldToken()
    {
        var email = Emails.Unique("flow");
        var signup = await api.SignupAsync(email, Password);
        Assert.Equal(HttpStatusCode.Created, signup.StatusCode);
        var cookieHeader = SetCookie.CookieHeader(signup);
        var token = SetCookie.Access(signup).Value.ToString();

        var verify = await ResponseAssert.JsonAsync(await api.VerifyAsync(cookieHeader), HttpStatusCode.OK);
        Assert.Equal(email, verify.GetProperty("email").GetString());

        var logout = await api.LogoutAsync(cookieHeader);
        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        var cleared = SetCookie.Access(logout);
        Assert.Equal("auth", cleared.Name.ToString());
        Assert.Equal("", cleared.Value.ToString());
        Assert.Equal(TimeSpan.Zero, cleared.MaxAge);
        Assert.True(cleared.HttpOnly);

        // A copy of the token kept elsewhere is dead too, as cookie and as bearer.
        await ResponseAssert.ProblemAsync(await api.VerifyAsync(cookieHeader), HttpStatusCode.Unauthorized);
        await ResponseAssert.ProblemAsync(await api.VerifyAsync(bearer: token), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task LoginReturnsSessionAndCookie()
    {
        var email = Emails.Unique("login");
        Assert.Equal(HttpStatusCode.Created, (await api.SignupAsync(email, Password)).StatusCode);

        var response = await api.LoginAsync(email.ToUpperInvariant(), Password);

        var body = await ResponseAssert.JsonAsync(response, HttpStatusCode.OK);
        Assert.Equal(email, body.GetProperty("email").GetString());
        var expiresAt = body.GetProperty("expiresAt").GetDateTimeOffset();
        Assert.InRange(expiresAt - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(14), TimeSpan.FromMinutes(15.1));
        Assert.True(SetCookie.Access(response).HttpOnly);
    }
}
