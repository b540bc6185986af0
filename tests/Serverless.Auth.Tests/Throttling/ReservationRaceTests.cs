using System.Net;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Auth.Accounts;
using Serverless.Auth.Storage;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Throttling;

/// <summary>
/// Login hashes while its attempt is being reserved in the backoff. A check whose reservation is lost to
/// a burst that blocked the account meanwhile must not be revealed, even for the right password (real
/// Azurite; the burst is written by a pipeline policy just before the login's own reservation write).
/// </summary>
public sealed class ReservationRaceTests(AzuriteFixture azurite)
{
    private const string Password = "walnut-harbor-comet-6170";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheRightPasswordIsNotRevealedWhenTheAccountWasBlockedBetweenReadAndReservation()
    {
        var (api, burst, email, throttle) = await SignedUpAsync("reservation-race");
        await using var _ = api;
        burst.Arm(() => BlockAsync(throttle, email));

        var response = await new SessionClient(api.Client).LoginAsync(email, Password);

        Assert.True(burst.Fired);
        var problem = await ResponseAssert.ProblemAsync(response, HttpStatusCode.TooManyRequests);
        Assert.InRange(problem.GetProperty("retryAfter").GetInt32(), 3500, 3600);
        Assert.False(response.Headers.Contains("Set-Cookie"));
        // The dropped check took no reservation and cleared nothing: the burst's row is as it wrote it.
        await AssertStillBlockedAsync(throttle, email);
    }

    [Fact]
    public async Task TheRightPasswordOnABlockedAccountIsRefusedWithoutTouchingItsBackoff()
    {
        var (api, burst, email, throttle) = await SignedUpAsync("already-blocked");
        await using var _ = api;
        await BlockAsync(throttle, email);
        var writesBefore = burst.BackoffWrites;

        var response = await new SessionClient(api.Client).LoginAsync(email, Password);

        await ResponseAssert.ProblemAsync(response, HttpStatusCode.TooManyRequests);
        Assert.False(response.Headers.Contains("Set-Cookie"));
        Assert.Equal(writesBefore, burst.BackoffWrites);
        await AssertStillBlockedAsync(throttle, email);
    }

    private async Task<(TestApi Api, BurstBeforeReservation Burst, string Email, TableClient Throttle)> SignedUpAsync(string name)
    {
        var settings = TestApi.DefaultSettings(azurite.ConnectionString, "Race" + Guid.NewGuid().ToString("N")[..8]);
        var burst = new BurstBeforeReservation(settings["Auth:Storage:LoginThrottleTable"]!);
        var api = await TestApi.StartAsync(
            settings, builder => builder.Services.PostConfigure<StorageOptions>(o => o.PipelineObserver = burst), cancellationToken: Ct);
        var email = Emails.Unique(name);
        Assert.Equal(HttpStatusCode.Created, (await new SessionClient(api.Client).SignupAsync(email, Password)).StatusCode);
        return (api, burst, email, api.Service<AuthTables>().LoginThrottle);
    }

    /// <summary>What a burst of wrong guesses leaves: ten checks counted, blocked for an hour.</summary>
    private static async Task BlockAsync(TableClient throttle, string email) =>
        await throttle.UpsertEntityAsync(
            new TableEntity(EmailAddress.StorageKey(email), "login") { ["Reserved"] = 10L, ["ClearedThrough"] = 0L, ["BlockedUntil"] = DateTimeOffset.UtcNow.AddHours(1) },
            TableUpdateMode.Replace,
            Ct);

    private static async Task AssertStillBlockedAsync(TableClient throttle, string email)
    {
        var row = (await throttle.GetEntityAsync<TableEntity>(EmailAddress.StorageKey(email), "login", cancellationToken: Ct)).Value;
        Assert.Equal(10L, row.GetInt64("Reserved"));
        Assert.Equal(0L, row.GetInt64("ClearedThrough"));
    }

    /// <summary>Once armed, runs the burst just before the app's next write to the backoff table; counts the app's backoff writes.</summary>
    private sealed class BurstBeforeReservation(string table) : HttpPipelinePolicy
    {
        private Func<Task>? armed;
        private int backoffWrites;

        public bool Fired { get; private set; }

        public int BackoffWrites => Volatile.Read(ref backoffWrites);

        public void Arm(Func<Task> write) => armed = write;

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            if (message.Request.Method != RequestMethod.Get && message.Request.Uri.Path.Contains("/" + table, StringComparison.Ordinal))
            {
                Interlocked.Increment(ref backoffWrites);
                if (Interlocked.Exchange(ref armed, null) is { } write)
                {
                    await write();
                    Fired = true;
                }
            }

            await ProcessNextAsync(message, pipeline);
        }

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) => ProcessNext(message, pipeline);
    }
}
