using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Serverless.Auth.Protection;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Protection;

/// <summary>
/// An app's own endpoints protected with the service's sessions: the auth service (Standalone host) issues them, and a
/// second app that registers only <c>AddSessionAuthentication</c> (no mail settings at all) checks them, on the same
/// Azurite tables and keys.
/// </summary>
public sealed class SessionAuthenticationTests(AzuriteFixture azurite)
{
    private const string Password = "plum-orchard-lantern-4821";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnApiThatOnlyChecksSessionsSeesTheUserAndEndsWithTheSession()
    {
        var settings = azurite.Settings(s => s["Auth:Revocation:SyncIntervalMilliseconds"] = "200");
        await using var auth = await TestApi.StartAsync(settings, cancellationToken: Ct);
        await using var api = await StartProtectedApiAsync(WithoutMail(settings));
        using var apiClient = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = api.BaseAddress };
        var browser = new SessionClient(auth.Client);
        var email = Emails.Unique("protected");
        var userId = await browser.SignUpForUserIdAsync(email, Password);
        var there = browser.CopyTo(apiClient);

        // Without a session: 401 problem+json with the Bearer challenge.
        var anonymous = await new SessionClient(apiClient).SendAsync(HttpMethod.Get, "/api/me");
        await ResponseAssert.ProblemAsync(anonymous, HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer", anonymous.Headers.WwwAuthenticate.ToString());

        // With the access cookie: the user's claims, as verify would say them.
        var me = await ResponseAssert.JsonAsync(await there.SendAsync(HttpMethod.Get, "/api/me"), HttpStatusCode.OK);
        Assert.Equal(userId, me.GetProperty("sub").GetString());
        Assert.Equal(email, me.GetProperty("email").GetString());
        Assert.Equal("false", me.GetProperty("email_verified").GetString());
        Assert.False(string.IsNullOrEmpty(me.GetProperty("sid").GetString()));
        Assert.True(long.Parse(me.GetProperty("auth_time").GetString()!, System.Globalization.CultureInfo.InvariantCulture) > 0);

        // The same token as a bearer works; a forged or garbled one does not.
        Assert.Equal(HttpStatusCode.OK, (await BearerAsync(apiClient, "/api/me", there.Access!)).StatusCode);
        await ResponseAssert.ProblemAsync(await BearerAsync(apiClient, "/api/me", there.Access![..^4] + "AAAA"), HttpStatusCode.Unauthorized);

        // A policy the user does not meet: 403 problem+json, not a challenge.
        var unconfirmed = await ResponseAssert.ProblemAsync(await there.SendAsync(HttpMethod.Get, "/api/me/confirmed"), HttpStatusCode.Forbidden);
        Assert.Equal("policy_not_met", unconfirmed.GetProperty("code").GetString());

        // Logging out on the auth service ends the token on the other app as soon as it has synced (no storage read per request).
        Assert.Equal(HttpStatusCode.NoContent, (await browser.LogoutAsync()).StatusCode);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        HttpStatusCode status;
        do
        {
            await Task.Delay(100, Ct);
            status = (await BearerAsync(apiClient, "/api/me", there.Access!)).StatusCode;
        }
        while (status == HttpStatusCode.OK && DateTime.UtcNow < deadline);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }

    [Fact]
    public async Task ForeignOriginsCannotPostToAProtectedEndpoint()
    {
        var settings = azurite.Settings();
        await using var auth = await TestApi.StartAsync(settings, cancellationToken: Ct);
        await using var api = await StartProtectedApiAsync(WithoutMail(settings));
        using var apiClient = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = api.BaseAddress };
        var browser = new SessionClient(auth.Client);
        await browser.SignUpForUserIdAsync(Emails.Unique("origin"), Password);
        var there = browser.CopyTo(apiClient);

        var foreign = await ResponseAssert.ProblemAsync(await there.SendAsync(HttpMethod.Post, "/api/me/notes", new { text = "x" }, origin: "https://evil.example"), HttpStatusCode.Forbidden);
        Assert.Equal("origin_not_allowed", foreign.GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.Created, (await there.SendAsync(HttpMethod.Post, "/api/me/notes", new { text = "x" }, origin: TestApi.Frontend)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await there.SendAsync(HttpMethod.Post, "/api/me/notes", new { text = "x" })).StatusCode);
        // Reads are left to CORS: a GET from another origin is answered (the browser decides whether the page may read it).
        Assert.Equal(HttpStatusCode.OK, (await there.SendAsync(HttpMethod.Get, "/api/me", origin: "https://evil.example")).StatusCode);
    }

    [Fact]
    public async Task CodeWithoutAnEndpointPipelineGetsTheSameChecks()
    {
        await using var maildev = await MaildevProcess.StartNewAsync();
        var settings = Email.MailApi.Settings(azurite, maildev);
        await using var auth = await TestApi.StartAsync(settings, cancellationToken: Ct);
        await using var api = await StartProtectedApiAsync(WithoutMail(settings));
        using var apiClient = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = api.BaseAddress };
        var browser = new SessionClient(auth.Client);
        var email = Emails.Unique("trigger");
        var userId = await browser.SignUpForUserIdAsync(email, Password);
        var there = browser.CopyTo(apiClient);

        var anonymous = await new SessionClient(apiClient).SendAsync(HttpMethod.Post, "/api/trigger");
        await ResponseAssert.ProblemAsync(anonymous, HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer", anonymous.Headers.WwwAuthenticate.ToString());
        Assert.Equal("policy_not_met", (await ResponseAssert.ProblemAsync(await there.SendAsync(HttpMethod.Post, "/api/trigger"), HttpStatusCode.Forbidden)).GetProperty("code").GetString());
        Assert.Equal("origin_not_allowed", (await ResponseAssert.ProblemAsync(await there.SendAsync(HttpMethod.Post, "/api/trigger", origin: "https://evil.example"), HttpStatusCode.Forbidden)).GetProperty("code").GetString());

        // Confirmed (the link from the mail), and refreshed so the access token says so: the policy is met.
        var token = Email.MailLinks.Token(Assert.Single(await maildev.WaitForEmailsAsync(email, cancellationToken: Ct)), "confirm");
        Assert.Equal(HttpStatusCode.OK, (await browser.ConfirmEmailAsync(token)).StatusCode);
        var allowed = await browser.CopyTo(apiClient).SendAsync(HttpMethod.Post, "/api/trigger");
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal($"\"{userId}\"", await allowed.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task TheAuthServiceHostProtectsItsOwnEndpointsWithOneCall()
    {
        await using var auth = await TestApi.StartAsync(
            azurite.Settings(),
            map: app => app.MapGet("/api/mine", (ClaimsPrincipal user) => user.FindFirst(SessionAuthentication.SubjectClaim)!.Value).RequireAuthorization(),
            cancellationToken: Ct);
        var browser = new SessionClient(auth.Client);
        var userId = await browser.SignUpForUserIdAsync(Emails.Unique("own"), Password);

        await ResponseAssert.ProblemAsync(await new SessionClient(auth.Client).SendAsync(HttpMethod.Get, "/api/mine"), HttpStatusCode.Unauthorized);
        var mine = await browser.SendAsync(HttpMethod.Get, "/api/mine");
        Assert.Equal(HttpStatusCode.OK, mine.StatusCode);
        Assert.Equal(userId, await mine.Content.ReadAsStringAsync(Ct));
    }

    /// <summary>A plain ASP.NET Core app: the session checks, and three endpoints of its own.</summary>
    private static async Task<ProtectedApi> StartProtectedApiAsync(Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddSessionAuthentication();
        var app = builder.Build();
        app.MapGet("/api/me", (ClaimsPrincipal user) => TypedResults.Ok(user.Claims.ToDictionary(c => c.Type, c => c.Value))).RequireAuthorization();
        app.MapGet("/api/me/confirmed", () => TypedResults.Ok()).RequireAuthorization(SessionAuthentication.ConfirmedEmailPolicy);
        app.MapPost("/api/me/notes", () => TypedResults.Created()).RequireAuthorization().RequireAllowedOrigin();
        // As an Azure Functions HTTP trigger does it: no endpoint metadata, the checks called by the handler itself.
        app.MapPost("/api/trigger", async (HttpContext context) =>
            SessionAuthentication.RefuseForeignOrigin(context)
            ?? (await SessionAuthentication.AuthorizeAsync(context, SessionAuthentication.ConfirmedEmailPolicy) ? TypedResults.Ok(context.User.FindFirst("sub")!.Value) : Results.Empty));
        return new ProtectedApi(app, await TestApi.StartAppAsync(app, Ct));
    }

    private sealed record ProtectedApi(WebApplication App, Uri BaseAddress) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => App.DisposeAsync();
    }

    private static Dictionary<string, string?> WithoutMail(Dictionary<string, string?> settings) =>
        settings.Where(s => !s.Key.StartsWith("Auth:Email:", StringComparison.Ordinal) && s.Key != "AUTH_EMAIL_QUEUE" && !s.Key.StartsWith("Auth:Secrets:", StringComparison.Ordinal))
            .ToDictionary(s => s.Key, s => s.Value);

    private static Task<HttpResponseMessage> BearerAsync(HttpClient client, string path, string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return client.SendAsync(request, Ct);
    }
}
