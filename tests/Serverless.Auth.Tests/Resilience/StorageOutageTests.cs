using System.Diagnostics;
using System.Net;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Resilience;

/// <summary>
/// Azurite stopped mid-run and started again with its on-disk data: requests get a quick 503 while it
/// is down, nothing that was accepted is lost, and service resumes without restarting the app.
/// </summary>
public sealed class StorageOutageTests
{
    private const string Password = "lighthouse-quarry-ember-6604";
    private static readonly TimeSpan AnswerBound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task OutageAnswers503QuicklyLosesNothingAndRecovers()
    {
        await using var azurite = await AzuriteProcess.StartNewAsync();
        var settings = TestApi.DefaultSettings(azurite.ConnectionString);
        settings["Auth:Storage:TimeoutSeconds"] = "2";
        settings["Auth:Storage:MaxRetries"] = "1";
        // A 1 s freshness window (default 5 s): verify fails closed about a second into the outage.
        settings["Auth:Revocation:SyncIntervalMilliseconds"] = "500";
        settings["Auth:Revocation:StaleAfterMilliseconds"] = "1000";
        await using var api = await TestApi.StartAsync(settings, cancellationToken: TestContext.Current.CancellationToken);
        var accepted = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var email = $"before{i}@example.com";
            Assert.Equal(HttpStatusCode.Created, (await api.SignupAsync(email, Password)).StatusCode);
            accepted.Add(email);
        }

        var session = SetCookie.CookieHeader(await api.LoginAsync(accepted[0], Password));

        await azurite.StopAsync();

        foreach (var call in new Func<Task<HttpResponseMessage>>[]
        {
            () => api.SignupAsync("during@example.com", Password),
            () => api.LoginAsync(accepted[1], Password),
            () => api.LogoutAsync(session),
        })
        {
            var watch = Stopwatch.StartNew();
            var response = await call();
            Assert.True(watch.Elapsed < AnswerBound, $"answered after {watch.Elapsed}");
            await ResponseAssert.ProblemAsync(response, HttpStatusCode.ServiceUnavailable);
            Assert.NotNull(response.Headers.RetryAfter);
        }

        // Verify needs no storage while the revocation list is fresh; once it is stale it fails closed.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        HttpResponseMessage verify;
        while ((verify = await api.VerifyAsync(session)).StatusCode == HttpStatusCode.OK && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250, TestContext.Current.CancellationToken);
        }

        await ResponseAssert.ProblemAsync(verify, HttpStatusCode.ServiceUnavailable);

        // An app endpoint protected by the same sessions fails closed the same way: 503, never 401 or 500.
        using var me = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        me.Headers.Add("Cookie", session);
        await ResponseAssert.ProblemAsync(await api.SendAsync(me), HttpStatusCode.ServiceUnavailable);

        await azurite.StartAsync();

        foreach (var email in accepted)
        {
            Assert.Equal(HttpStatusCode.OK, (await api.LoginAsync(email, Password)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.Created, (await api.SignupAsync("after@example.com", Password)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.VerifyAsync(session)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await api.LogoutAsync(session)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.VerifyAsync(session)).StatusCode);
    }
}
