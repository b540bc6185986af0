using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Auth.Http;
using Serverless.Auth.Protection;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Http;

/// <summary>
/// The auth routes mapped under another base path (<c>MapAuthApi("/identity")</c>) in an app of one's own: every
/// route moves, the refresh and device cookies are scoped to the new path, discovery points under it, and the app's
/// own endpoint takes the same session.
/// </summary>
public sealed class AuthBasePathTests(AzuriteFixture azurite)
{
    private const string Password = "copper-kettle-meadow-5183";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EveryRouteAndTheScopedCookiesFollowTheBasePath()
    {
        await using var app = await StartAsync(azurite.Settings(s => s["Auth:Jwt:Issuer"] = "https://api.test/identity"));
        using var http = new HttpClient { BaseAddress = app.Address };
        var browser = new SessionClient(http);

        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsJsonAsync(AuthApi.Signup.Path, new { email = Emails.Unique("moved"), password = Password }, Ct)).StatusCode);
        var signup = await browser.SendAsync(HttpMethod.Post, "/identity/signup", new { email = Emails.Unique("mounted"), password = Password });
        Assert.Equal(HttpStatusCode.Created, signup.StatusCode);
        Assert.Equal("/", SessionClient.Cookie(signup, "auth").Path.ToString());
        Assert.Equal("/identity", SessionClient.Cookie(signup, "refresh").Path.ToString());
        Assert.Equal("/identity", SessionClient.Cookie(signup, "device").Path.ToString());

        Assert.Equal(HttpStatusCode.OK, (await browser.SendAsync(HttpMethod.Get, "/orders")).StatusCode);
        var refresh = await browser.SendAsync(HttpMethod.Post, "/identity/refresh");
        Assert.Equal(HttpStatusCode.OK, refresh.StatusCode);
        Assert.Equal("/identity", SessionClient.Cookie(refresh, "refresh").Path.ToString());
        var access = browser.Access;
        Assert.Equal(HttpStatusCode.OK, (await browser.SendAsync(HttpMethod.Get, "/identity/verify")).StatusCode);

        var logout = await browser.SendAsync(HttpMethod.Post, "/identity/logout");
        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        Assert.Equal("/identity", SessionClient.Cookie(logout, "refresh").Path.ToString());
        browser.Set("auth", access!);
        await ResponseAssert.ProblemAsync(await browser.SendAsync(HttpMethod.Get, "/orders"), HttpStatusCode.Unauthorized);

        var discovery = JsonNode.Parse(await http.GetStringAsync("/identity/.well-known/openid-configuration", Ct))!;
        Assert.Equal("https://api.test/identity/.well-known/jwks.json", discovery["jwks_uri"]!.GetValue<string>());
    }

    [Fact]
    public async Task ABasePathIsMappedOnceBeforeItIsUsedAndNeverAtTheRoot()
    {
        await using var app = await StartAsync(azurite.Settings());

        Assert.Throws<InvalidOperationException>(() => app.App.MapAuthApi("/other"));
        Assert.Throws<ArgumentException>(() => AuthMount.Normalize("/"));
        Assert.Throws<ArgumentException>(() => AuthMount.Normalize("identity"));
        Assert.Throws<ArgumentException>(() => AuthMount.Normalize("/id/{user}"));
        Assert.Equal("/identity", AuthMount.Normalize("/identity/"));
    }

    private static async Task<MountedApp> StartAsync(Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddServerlessAuth();
        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapAuthApi("/identity");
        app.MapGet("/orders", (HttpContext context) => TypedResults.Ok(context.User.FindFirst(SessionAuthentication.SubjectClaim)!.Value)).RequireAuthorization();
        return new MountedApp(app, await TestApi.StartAppAsync(app, Ct));
    }

    private sealed record MountedApp(WebApplication App, Uri Address) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => App.DisposeAsync();
    }
}
