using System.Net;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Serverless.Auth.Storage;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Sessions;

/// <summary>Idle and absolute expiry, the reuse grace window and the clean-up, on a fake clock (real Azurite).</summary>
public sealed class SessionLifetimeTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string Password = "plum-orchard-lantern-4821";
    private readonly FakeTimeProvider clock = new(DateTimeOffset.UtcNow);
    private TestApi api = null!;

    public async ValueTask InitializeAsync()
    {
        var settings = TestApi.DefaultSettings(azurite.ConnectionString);
        settings["Auth:Session:IdleMinutes"] = "60";
        settings["Auth:Session:AbsoluteMinutes"] = "120";
        settings["Auth:Session:ReuseGraceSeconds"] = "10";
        settings["Auth:Jwt:LifetimeSeconds"] = "30";
        api = await TestApi.StartAsync(settings, builder => builder.Services.AddSingleton<TimeProvider>(clock), cancellationToken: TestContext.Current.CancellationToken);
    }

    public ValueTask DisposeAsync() => api.DisposeAsync();

    private async Task<SessionClient> SignedUpAsync()
    {
        var browser = new SessionClient(api.Client);
        Assert.Equal(HttpStatusCode.Created, (await browser.SignupAsync($"t-{Guid.NewGuid():N}@example.com", Password)).StatusCode);
        return browser;
    }

    [Fact]
    public async Task AccessTokenExpiresAfterItsLifetimeAndRefreshBringsANewOne()
    {
        var browser = await SignedUpAsync();
        var stale = browser.CopyTo(api.Client);

        clock.Advance(TimeSpan.FromSeconds(61)); // lifetime 30 s + 30 s skew

        await ResponseAssert.ProblemAsync(await stale.VerifyAsync(), HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, (await browser.RefreshAsync()).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.VerifyAsync()).StatusCode);
    }

    [Fact]
    public async Task AnIdleSessionEnds()
    {
        var browser = await SignedUpAsync();

        clock.Advance(TimeSpan.FromMinutes(61));

        await ResponseAssert.ProblemAsync(await browser.RefreshAsync(), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task UseSlidesTheIdleWindowButNotPastTheAbsoluteCap()
    {
        var browser = await SignedUpAsync();

        for (var i = 0; i < 2; i++)
        {
            clock.Advance(TimeSpan.FromMinutes(50));
            Assert.Equal(HttpStatusCode.OK, (await browser.RefreshAsync()).StatusCode);
        }

        clock.Advance(TimeSpan.FromMinutes(21)); // 121 minutes since login, 21 since last use

        await ResponseAssert.ProblemAsync(await browser.RefreshAsync(), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task RetiredTokenWithinTheGraceWindowGetsTheSameSuccessorAfterItTheSessionEnds()
    {
        var tab = await SignedUpAsync();
        var otherTab = tab.CopyTo(api.Client);
        var lateTab = tab.CopyTo(api.Client);
        Assert.Equal(HttpStatusCode.OK, (await tab.RefreshAsync()).StatusCode);

        clock.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(HttpStatusCode.OK, (await otherTab.RefreshAsync()).StatusCode);
        Assert.Equal(tab.Refresh, otherTab.Refresh);

        clock.Advance(TimeSpan.FromSeconds(2)); // 11 s after the rotation
        await ResponseAssert.ProblemAsync(await lateTab.RefreshAsync(), HttpStatusCode.Unauthorized);
        await ResponseAssert.ProblemAsync(await tab.RefreshAsync(), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task CleanupDeletesExpiredSessionsAndKeepsLiveOnes()
    {
        var expired = await SignedUpAsync();
        clock.Advance(TimeSpan.FromMinutes(59));
        var live = await SignedUpAsync();
        clock.Advance(TimeSpan.FromMinutes(2));

        await api.App.Services.RunStorageCleanupAsync(TestContext.Current.CancellationToken);

        var sessions = api.Service<AuthTables>().Sessions;
        Assert.False((await sessions.GetEntityIfExistsAsync<TableEntity>(UserOf(expired), SessionOf(expired), cancellationToken: TestContext.Current.CancellationToken)).HasValue);
        Assert.True((await sessions.GetEntityIfExistsAsync<TableEntity>(UserOf(live), SessionOf(live), cancellationToken: TestContext.Current.CancellationToken)).HasValue);
        Assert.Equal(HttpStatusCode.OK, (await live.RefreshAsync()).StatusCode);
    }

    private static string UserOf(SessionClient browser) => browser.Refresh!.Split('.')[0];

    private static string SessionOf(SessionClient browser) => browser.Refresh!.Split('.')[1];
}
