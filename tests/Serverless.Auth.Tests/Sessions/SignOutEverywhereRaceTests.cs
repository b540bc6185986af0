using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Auth.Storage;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Sessions;

/// <summary>
/// Sign-out everywhere raced by a refresh on another instance (issue 22, item 5), made exact with storage
/// hooks on real Azurite: the refresh rotates after the cut-off is written but before the sessions are
/// deleted, and it issues its token in the next whole second, where a whole-second comparison of the
/// token's issue time with the cut-off would let it live.
/// </summary>
public sealed class SignOutEverywhereRaceTests(AzuriteFixture azurite)
{
    private const string Password = "plum-orchard-lantern-4821";

    [Fact]
    public async Task ARefreshRotatingBetweenTheCutOffAndTheDeletionsGetsNoTokenThatVerifies()
    {
        // Syncs two seconds apart: the refreshing instance must not learn of the cut-off from its sync before the
        // refresh has read its session (under load that took longer than a short interval), or the refresh is refused
        // early, never reaches the rotation this test holds, and the interleaving is not the one under test.
        var settings = azurite.Settings(s => s["Auth:Revocation:SyncIntervalMilliseconds"] = "2000");
        var sessionsTable = settings["Auth:Storage:SessionsTable"]!;
        var (onSigningOut, onRefreshing) = (new StorageHook(), new StorageHook());
        await using var signingOut = await TestApi.StartAsync(settings, Hooked(onSigningOut), cancellationToken: TestContext.Current.CancellationToken);
        await using var refreshing = await TestApi.StartAsync(settings, Hooked(onRefreshing), cancellationToken: TestContext.Current.CancellationToken);
        var laptop = new SessionClient(signingOut.Client);
        Assert.Equal(HttpStatusCode.Created, (await laptop.SignupAsync(Emails.Unique("race"), Password)).StatusCode);
        var tab = laptop.CopyTo(refreshing.Client);

        var cutOffWritten = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var rotated = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // The refresh's rotation waits for the cut-off, then for the next whole second; the sign-out lists the sessions only after it.
        onRefreshing.Arm(
            (method, table) => method == "PUT" && table == sessionsTable,
            before: async () =>
            {
                await cutOffWritten.Task;
                await Task.Delay(1020 - DateTimeOffset.UtcNow.Millisecond);
            },
            after: () =>
            {
                rotated.SetResult();
                return Task.CompletedTask;
            });
        onSigningOut.Arm(
            (method, table) => method == "GET" && table == sessionsTable,
            before: async () =>
            {
                cutOffWritten.SetResult();
                await rotated.Task.WaitAsync(TimeSpan.FromSeconds(20));
            });

        var refresh = tab.RefreshAsync();
        var signOut = laptop.LogoutAllAsync();
        await Task.WhenAll(refresh, signOut);

        Assert.True(onRefreshing.Fired && onSigningOut.Fired);
        Assert.Equal(HttpStatusCode.NoContent, (await signOut).StatusCode);
        await ResponseAssert.ProblemAsync(await refresh, HttpStatusCode.Unauthorized);
        // Whatever a refresh might have handed out: no access token of the session verifies once the instances have synced.
        await Task.Delay(4500, TestContext.Current.CancellationToken);
        foreach (var api in new[] { signingOut, refreshing })
        {
            foreach (var token in new[] { laptop.Access, tab.Access }.OfType<string>())
            {
                await ResponseAssert.ProblemAsync(await api.VerifyAsync(bearer: token), HttpStatusCode.Unauthorized);
            }
        }

        await ResponseAssert.ProblemAsync(await tab.RefreshAsync(), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ALoginJustAfterSignOutEverywhereLivesAndOneJustBeforeItEnds()
    {
        await using var api = await azurite.StartApiAsync();
        var email = Emails.Unique("cutoff");
        var before = new SessionClient(api.Client);
        Assert.Equal(HttpStatusCode.Created, (await before.SignupAsync(email, Password)).StatusCode);
        var signedOut = before.CopyTo(api.Client);

        Assert.Equal(HttpStatusCode.NoContent, (await signedOut.LogoutAllAsync()).StatusCode);
        var after = new SessionClient(api.Client);
        Assert.Equal(HttpStatusCode.OK, (await after.LoginAsync(email, Password)).StatusCode);

        // Within the same second as the cut-off: the one before ends, the one after lives.
        await ResponseAssert.ProblemAsync(await before.VerifyAsync(), HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, (await after.VerifyAsync()).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await after.RefreshAsync()).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await after.VerifyAsync()).StatusCode);
    }

    private static Action<Microsoft.AspNetCore.Builder.WebApplicationBuilder> Hooked(StorageHook hook) =>
        builder =>
        {
            builder.Services.PostConfigure<StorageOptions>(o => o.PipelineObserver = hook);
            builder.Services.RemoveMailAndCleanup();
        };
}
