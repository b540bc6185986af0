using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Auth.Email;
using Serverless.Auth.Storage;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Oidc;
using Serverless.Auth.Tests.Sessions;
using Serverless.Auth.Tokens;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Storage;

/// <summary>
/// Storage round trips per request, counted by a pipeline policy on the app's own table and queue clients (real
/// Azurite). Each endpoint has a budget: today's count. A change that adds a round trip to any of them
/// fails here; verify must stay at none and login at its three reads plus writes. The counts are the ones
/// in results.md and the capacity model (docs/storage-and-capacity.md).
/// </summary>
public sealed partial class StorageOperationCountTests(AzuriteFixture azurite)
{
    private const string Password = "quartz-meadow-lantern-5521";
    private const string Suffix = "Ops";

    // "METHOD table" per round trip, tables without the test's suffix; Revoked<12 digits> is the minute's change log.
    private static readonly Dictionary<string, string[]> Budget = new()
    {
        // The account row, then its email identity (in that order: an identity never points at an account not yet
        // written). The confirmation mail is a queue message; the mail worker reads the user and stores the token later.
        // The session is written while the user's others are listed (the per-user cap). Then its event: the user's log
        // and the fleet log, written at once (one parallel round trip), as for every event below.
        ["signup"] = ["POST Users", "POST Users", "DELETE Throttle", "POST queue", "POST Sessions", "GET Sessions", "POST UserEvents", "POST FleetEvents"],
        // The backoff read alongside the email's identity and then its account (an unknown address reads an account
        // row too, so timing does not tell them apart), the reservation while hashing, then the backoff's clear, the
        // session and the listing for the cap together (a browser without a device cookie the account honours also
        // counts a new device: one MERGE Users more, in the same phase), with the account read again (an admin's
        // disable racing the sign-in), then the event.
        ["login"] = ["GET Throttle", "GET Users", "GET Users", "POST Throttle", "PUT Throttle", "POST Sessions", "GET Sessions", "GET Users", "POST UserEvents", "POST FleetEvents"],
        ["verify"] = [],
        // The account read alongside the session (the tokens carry its email and confirmation as they are now), rotate,
        // then the user's cut-off as stored (a sign-out everywhere on another instance a moment ago).
        ["refresh"] = ["GET Users", "GET Sessions", "PUT Sessions", "GET Revoked"],
        ["logout"] = ["GET Sessions", "PUT Revoked", "PUT RevokedLog", "DELETE Sessions", "POST UserEvents", "POST FleetEvents"],
        // The user's cut-off (keyed row + change log), then the user's two other sessions, then the event.
        ["logout-all"] = ["PUT Revoked", "PUT RevokedLog", "GET Sessions", "DELETE Sessions", "DELETE Sessions", "POST UserEvents", "POST FleetEvents"],
        // Only a queue message: whether the address has an account is the mail worker's business.
        ["forgot-password"] = ["POST queue"],
    };

    [Fact]
    public async Task EachEndpointStaysWithinItsStorageRoundTrips()
    {
        var counter = new StorageOperations();
        var suffix = Suffix + Guid.NewGuid().ToString("N")[..8];
        var settings = TestApi.DefaultSettings(azurite.ConnectionString, suffix);
        settings["Auth:Revocation:SyncIntervalMilliseconds"] = "60000";
        settings["Auth:Revocation:StaleAfterMilliseconds"] = "120000";
        await using var api = await StartCountedAsync(settings, counter);
        // The first revocation sync runs at start-up (and creates this minute's and the next minute's change-log
        // tables); the next one is a minute away, after this test.
        var revocations = api.Service<RevocationList>();
        while (!revocations.HasSynced)
        {
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        counter.Take();
        var browser = new SessionClient(api.Client);
        var other = new SessionClient(api.Client);
        var measured = new Dictionary<string, List<string>>();

        async Task Count(string endpoint, Func<Task<HttpResponseMessage>> call, HttpStatusCode expected)
        {
            var response = await call();
            Assert.Equal(expected, response.StatusCode);
            measured[endpoint] = [.. Operations(counter, suffix)];
        }

        await Count("signup", () => browser.SignupAsync("counted@example.com", Password), HttpStatusCode.Created);
        await Count("login", () => browser.LoginAsync("counted@example.com", Password), HttpStatusCode.OK);
        await Count("verify", browser.VerifyAsync, HttpStatusCode.OK);
        await Count("refresh", browser.RefreshAsync, HttpStatusCode.OK);
        await Count("logout", browser.LogoutAsync, HttpStatusCode.NoContent);
        Assert.Equal(HttpStatusCode.OK, (await other.LoginAsync("counted@example.com", Password)).StatusCode);
        counter.Take();
        await Count("logout-all", other.LogoutAllAsync, HttpStatusCode.NoContent);
        await Count("forgot-password", () => other.ForgotPasswordAsync("counted@example.com"), HttpStatusCode.Accepted);

        var report = string.Join("\n", measured.Select(m => $"{m.Key}: {m.Value.Count} [{string.Join(", ", m.Value)}]"));
        TestContext.Current.TestOutputHelper?.WriteLine(report);
        foreach (var (endpoint, budget) in Budget)
        {
            Assert.True(measured[endpoint].Count <= budget.Length, $"{endpoint} now takes {measured[endpoint].Count} storage round trips (budget {budget.Length}: {string.Join(", ", budget)}).\n{report}");
        }

        Assert.Empty(measured["verify"]);
    }

    /// <summary>
    /// A returning user's social sign-in in a returning browser (issue 30's benchmark case): the callback reads the
    /// identity's row, which names the account; the exchange spends the one-time code (a marker insert) while it reads the
    /// account and its link row (one partition query: only an account that holds the link is signed in; the session's
    /// start time is taken before that read, so it stands for the read every other sign-in makes as its session starts),
    /// then records the link's use while the session is written and the others listed, then the event.
    /// </summary>
    [Fact]
    public async Task ASocialSignInStaysWithinItsStorageRoundTrips()
    {
        string[] callbackBudget = ["GET Users"];
        string[] exchangeBudget = ["POST MailTokens", "GET Users", "PATCH Users", "POST Sessions", "GET Sessions", "POST UserEvents", "POST FleetEvents"];
        var ct = TestContext.Current.CancellationToken;
        await using var provider = await RogueOidcProvider.StartAsync("counted-client", ct);
        var counter = new StorageOperations();
        var suffix = Suffix + Guid.NewGuid().ToString("N")[..8];
        var settings = TestApi.DefaultSettings(azurite.ConnectionString, suffix);
        settings["Auth:Oidc:Providers:rogue:Authority"] = provider.Issuer;
        settings["Auth:Oidc:Providers:rogue:ClientId"] = provider.ClientId;
        settings["Auth:Oidc:Providers:rogue:ClientSecret"] = "counted-client-secret-0123456789abcdef";
        settings["Auth:Oidc:Providers:rogue:TrustEmail"] = "true";
        await using var api = await StartCountedAsync(settings, counter);
        provider.IdTokenFor = request => provider.IdToken(provider.Claims(request.Authorization?.Nonce, sub: "counted-subject", email: "counted-social@example.com"));
        var browser = new SessionClient(api.Client);

        async Task<(string[] Callback, string[] Exchange)> SignInAsync()
        {
            var (verifier, challenge) = OidcTestFlow.NewVerifier();
            var authorize = await OidcTestFlow.StartAsync(browser, "rogue", challenge);
            var callbackUrl = provider.SignIn(authorize);
            counter.Take();
            var back = await OidcTestFlow.CallbackAsync(browser, callbackUrl);
            var callback = Operations(counter, suffix);
            var exchange = await OidcTestFlow.ExchangeAsync(browser, back["code"], verifier);
            Assert.Equal(HttpStatusCode.OK, exchange.StatusCode);
            return (callback, Operations(counter, suffix));
        }

        // The first sign-in makes the account and links the identity; the second is the returning user, in the browser
        // whose device cookie the first left (honoured: no device write).
        await SignInAsync();
        var (callbackOps, exchangeOps) = await SignInAsync();

        var report = $"callback: {callbackOps.Length} [{string.Join(", ", callbackOps)}]\nexchange: {exchangeOps.Length} [{string.Join(", ", exchangeOps)}]";
        TestContext.Current.TestOutputHelper?.WriteLine(report);
        Assert.True(callbackOps.Length <= callbackBudget.Length, $"The callback now takes {callbackOps.Length} storage round trips (budget {callbackBudget.Length}).\n{report}");
        Assert.True(exchangeOps.Length <= exchangeBudget.Length, $"The exchange now takes {exchangeOps.Length} storage round trips (budget {exchangeBudget.Length}).\n{report}");
    }

    /// <summary>A host whose storage requests <paramref name="counter"/> sees.</summary>
    private static Task<TestApi> StartCountedAsync(Dictionary<string, string?> settings, StorageOperations counter) =>
        TestApi.StartAsync(
            settings,
            builder =>
            {
                builder.Services.PostConfigure<StorageOptions>(o => o.PipelineObserver = counter);
                // The mail sender and the clean-up work in the background, outside any request: not on this host.
                builder.Services.RemoveMailAndCleanup();
            },
            cancellationToken: TestContext.Current.CancellationToken);

    private static string[] Operations(StorageOperations counter, string suffix) =>
        [.. counter.Take().Select(op => op.Replace(suffix, "", StringComparison.Ordinal)).Select(op => LogTable().Replace(op, "RevokedLog")).Select(op => EventTable().Replace(op, "$1"))];

    [GeneratedRegex(@"Revoked\d{12}")]
    private static partial Regex LogTable();

    // UserEvents<yyyyMM> and FleetEvents<yyyyMMdd>: the period's table.
    [GeneratedRegex(@"(UserEvents|FleetEvents)\d{6,8}")]
    private static partial Regex EventTable();
}
