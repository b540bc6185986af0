using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Serverless.Auth.Events;
using Serverless.Auth.Storage;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;

namespace Serverless.Auth.Tests.Events;

/// <summary>
/// Issue 31: a storage error while an event is written is logged and counted (<see cref="AuthEvents.WriteFailures"/>),
/// and the request answers as it would have. The failure is injected with <see cref="StorageHook"/> on the event tables.
/// </summary>
public sealed class EventWriteFailureTests(AzuriteFixture azurite)
{
    private const string Password = "plum-orchard-lantern-4821";
    private const string NewPassword = "quartz-harbor-meadow-7390";

    [Fact]
    public async Task AnEventThatCannotBeStoredIsLoggedAndCountedAndTheRequestAnswersAsUsual()
    {
        var hook = new StorageHook();
        await using var api = await azurite.StartApiAsync(configure: builder =>
        {
            builder.Services.PostConfigure<StorageOptions>(o => o.PipelineObserver = hook);
            builder.Logging.AddFakeLogging();
        });
        var tables = new EventTables(azurite, api);
        var events = api.Service<AuthEvents>();
        // A write to either half of an event (the user's month table or the fleet's day table) fails: the other half goes on.
        void FailNextEventWrite() => hook.Arm(
            (method, table) => method == "POST" && (table.StartsWith(tables.UserPrefix, StringComparison.Ordinal) || table.StartsWith(tables.FleetPrefix, StringComparison.Ordinal)),
            before: StorageHook.Stall);
        async Task<int> StoredHalvesAsync(string userId, string type) =>
            (await tables.UserRowsAsync(userId)).Count(r => r.Type == type) + (await tables.FleetRowsOfAsync(userId)).Count(r => r.Type == type);

        var email = Emails.Unique("ev-write-failure");
        var browser = new SessionClient(api.Client);
        var userId = await browser.SignUpForUserIdAsync(email, Password);
        Assert.Equal(0, events.WriteFailures);
        Assert.Equal(2, await StoredHalvesAsync(userId, "signup"));

        FailNextEventWrite();
        var laptop = new SessionClient(api.Client);
        var login = await ResponseAssert.JsonAsync(await laptop.LoginAsync(email, Password), HttpStatusCode.OK);
        Assert.True(hook.Fired);
        Assert.Equal(userId, login.GetProperty("userId").GetString());
        Assert.NotNull(laptop.Access);
        Assert.NotNull(laptop.Refresh);
        Assert.Equal(HttpStatusCode.OK, (await laptop.VerifyAsync()).StatusCode);
        Assert.Equal(1, events.WriteFailures);
        Assert.Equal(1, await StoredHalvesAsync(userId, "login.succeeded"));

        FailNextEventWrite();
        var changed = await ResponseAssert.JsonAsync(await laptop.ChangePasswordAsync(Password, NewPassword), HttpStatusCode.OK);
        Assert.True(hook.Fired);
        Assert.Equal(userId, changed.GetProperty("userId").GetString());
        Assert.Equal(2, events.WriteFailures);
        Assert.Equal(1, await StoredHalvesAsync(userId, "password.changed"));
        Assert.Equal(HttpStatusCode.OK, (await laptop.VerifyAsync()).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await new SessionClient(api.Client).LoginAsync(email, NewPassword)).StatusCode);

        // A refused password: its event is written while the answer goes out; the answer is the usual 401.
        FailNextEventWrite();
        await ResponseAssert.ProblemAsync(await new SessionClient(api.Client).LoginAsync(email, Password), HttpStatusCode.Unauthorized);
        await ResponseAssert.EventuallyAsync(() => Task.FromResult(events.WriteFailures == 3), TimeSpan.FromSeconds(10));
        await ResponseAssert.EventuallyAsync(async () => await StoredHalvesAsync(userId, "login.failed") == 1, TimeSpan.FromSeconds(10));

        // Storage is back: both halves again, and nothing more counted.
        Assert.Equal(HttpStatusCode.NoContent, (await laptop.LogoutAsync()).StatusCode);
        Assert.Equal(2, await StoredHalvesAsync(userId, "logout"));
        Assert.Equal(3, events.WriteFailures);

        var errors = api.App.Services.GetFakeLogCollector().GetSnapshot()
            .Where(r => r.Level == LogLevel.Error && r.Category == typeof(AuthEvents).FullName).Select(r => r.Message).ToList();
        Assert.Equal(
            ["login.succeeded", "password.changed", "login.failed"],
            errors.Select(m => m.Split(' ')[2]));
        Assert.All(errors, m => Assert.Contains($"for user {userId} was not stored", m, StringComparison.Ordinal));
        Assert.DoesNotContain(errors, m => m.Contains(email, StringComparison.OrdinalIgnoreCase));
    }
}
