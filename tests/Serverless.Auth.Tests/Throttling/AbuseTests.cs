using System.Net;
using Azure.Data.Tables;
using Serverless.Auth.Accounts;
using Serverless.Auth.Http;
using Serverless.Auth.Storage;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Testing;
using Serverless.Auth.Tests.Sessions;

namespace Serverless.Auth.Tests.Throttling;

/// <summary>
/// The per-account backoff under attack (issue 13): bursts on one or two instances, lockout attempts
/// against a known device, throttle state left on an unregistered address, failures racing successes.
/// </summary>
public sealed class AbuseTests(AbuseTests.Instances instances) : IClassFixture<AbuseTests.Instances>
{
    private const string Password = "juniper-canyon-meadow-5512";
    private const int FreeFailures = 5;
    private readonly TestApi api = instances.First;
    private readonly TestApi other = instances.Second;

    /// <summary>A long first backoff window, so a blocked account stays blocked for the whole test.</summary>
    public sealed class Instances(AzuriteFixture azurite) : ApiPair(azurite)
    {
        protected override void Configure(Dictionary<string, string?> settings)
        {
            settings["Auth:Throttling:FreeFailures"] = FreeFailures.ToString(System.Globalization.CultureInfo.InvariantCulture);
            settings["Auth:Throttling:BaseDelaySeconds"] = "60";
        }
    }

    private static string NewEmail() => $"a-{Guid.NewGuid():N}@example.com";

    private async Task<(long Reserved, long Cleared)> ThrottleRowAsync(string email)
    {
        var row = await api.Service<AuthTables>().LoginThrottle.GetEntityIfExistsAsync<TableEntity>(
            EmailAddress.StorageKey(email), "login", cancellationToken: TestContext.Current.CancellationToken);
        return row.HasValue ? (row.Value!.GetInt64("Reserved") ?? 0, row.Value.GetInt64("ClearedThrough") ?? 0) : (0, 0);
    }

    [Fact]
    public async Task ABurstOnTwoInstancesChecksAtMostFreeFailuresPasswordsAndTheRightOneIsNotLetThrough()
    {
        var email = NewEmail();
        Assert.Equal(HttpStatusCode.Created, (await new SessionClient(api.Client).SignupAsync(email, Password)).StatusCode);

        // 30 guesses at once, half on each instance; the right password is the 15th.
        var responses = await Task.WhenAll(Enumerable.Range(0, 30).Select(i =>
            new SessionClient((i % 2 == 0 ? api : other).Client).LoginAsync(email, i == 14 ? Password : "wrong-guess-number-" + i)));

        var statuses = responses.Select(r => r.StatusCode).ToList();
        Assert.All(statuses, s => Assert.Contains(s, new[] { HttpStatusCode.OK, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests }));
        // At most FreeFailures checks, unless the right password was among them: its success clears the failures reserved
        // up to it (by design: the owner got in), and up to FreeFailures more of the burst may then be checked.
        var mostChecks = statuses[14] == HttpStatusCode.OK ? 2 * FreeFailures : FreeFailures;
        Assert.InRange(statuses.Count(s => s is HttpStatusCode.OK or HttpStatusCode.Unauthorized), 1, mostChecks);
        if (statuses[14] != HttpStatusCode.OK)
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, statuses[14]);
        }

        foreach (var throttled in responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests))
        {
            var problem = await ResponseAssert.ProblemAsync(throttled, HttpStatusCode.TooManyRequests);
            Assert.Equal(int.Parse(throttled.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture), problem.GetProperty("retryAfter").GetInt32());
        }

        // Every check that ran was reserved, and only those.
        var (reserved, _) = await ThrottleRowAsync(email);
        Assert.Equal(statuses.Count(s => s is HttpStatusCode.OK or HttpStatusCode.Unauthorized), reserved);
    }

    [Fact]
    public async Task AKnownDeviceSignsInWhileAnAttackerHammersTheAccountAndANewDeviceIsLimited()
    {
        var email = NewEmail();
        var owner = new SessionClient(api.Client);
        Assert.Equal(HttpStatusCode.Created, (await owner.SignupAsync(email, Password)).StatusCode);
        Assert.True(owner.Cookies.ContainsKey("device"));

        var attacker = new SessionClient(other.Client);
        for (var i = 0; i < FreeFailures + 3; i++)
        {
            await attacker.LoginAsync(email, "attacker-guess-number-" + i);
        }

        await ResponseAssert.ProblemAsync(await attacker.LoginAsync(email, "attacker-guess-final"), HttpStatusCode.TooManyRequests);

        // The owner's browser has signed in before: its device cookie gets past the account-wide backoff.
        Assert.Equal(HttpStatusCode.OK, (await owner.LoginAsync(email, Password)).StatusCode);

        // A new device, even with the right password, is limited like the attacker.
        await ResponseAssert.ProblemAsync(await new SessionClient(api.Client).LoginAsync(email, Password), HttpStatusCode.TooManyRequests);

        // A device cookie is worth nothing for another account, nor once tampered with.
        var victim2 = NewEmail();
        Assert.Equal(HttpStatusCode.Created, (await new SessionClient(api.Client).SignupAsync(victim2, Password)).StatusCode);
        for (var i = 0; i < FreeFailures; i++)
        {
            await attacker.LoginAsync(victim2, "attacker-guess-number-" + i);
        }

        var foreignDevice = owner.CopyTo(api.Client);
        await ResponseAssert.ProblemAsync(await foreignDevice.LoginAsync(victim2, Password), HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task FailuresFromAKnownDeviceAreLimitedPerDevice()
    {
        var email = NewEmail();
        var device = new SessionClient(api.Client);
        Assert.Equal(HttpStatusCode.Created, (await device.SignupAsync(email, Password)).StatusCode);

        for (var i = 0; i < FreeFailures; i++)
        {
            await ResponseAssert.ProblemAsync(await device.LoginAsync(email, "typo-in-my-password-" + i), HttpStatusCode.Unauthorized);
        }

        await ResponseAssert.ProblemAsync(await device.LoginAsync(email, Password), HttpStatusCode.TooManyRequests);

        // The account itself is not locked: another known-or-new device still gets its own tries.
        Assert.Equal(HttpStatusCode.OK, (await new SessionClient(api.Client).LoginAsync(email, Password)).StatusCode);
    }

    [Fact]
    public async Task ThrottleStateLeftOnAnUnregisteredAddressDoesNotFollowTheNewAccount()
    {
        var email = NewEmail();
        var attacker = new SessionClient(api.Client);
        for (var i = 0; i < FreeFailures; i++)
        {
            await ResponseAssert.ProblemAsync(await attacker.LoginAsync(email, "pre-registration-guess-" + i), HttpStatusCode.Unauthorized);
        }

        await ResponseAssert.ProblemAsync(await attacker.LoginAsync(email, Password), HttpStatusCode.TooManyRequests);

        Assert.Equal(HttpStatusCode.Created, (await new SessionClient(api.Client).SignupAsync(email, Password)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await new SessionClient(other.Client).LoginAsync(email, Password)).StatusCode);
    }

    [Fact]
    public async Task FailuresRacingSuccessesAreAllCountedAndNeverA500()
    {
        var email = NewEmail();
        Assert.Equal(HttpStatusCode.Created, (await new SessionClient(api.Client).SignupAsync(email, Password)).StatusCode);

        var statuses = new List<HttpStatusCode>();
        for (var round = 0; round < 4; round++)
        {
            var responses = await Task.WhenAll(
                new SessionClient(api.Client).LoginAsync(email, Password),
                new SessionClient(other.Client).LoginAsync(email, "racing-wrong-guess-" + round),
                new SessionClient(other.Client).LoginAsync(email, Password));
            statuses.AddRange(responses.Select(r => r.StatusCode));
        }

        Assert.All(statuses, s => Assert.Contains(s, new[] { HttpStatusCode.OK, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests }));
        var (reserved, cleared) = await ThrottleRowAsync(email);
        Assert.Equal(statuses.Count(s => s is HttpStatusCode.OK or HttpStatusCode.Unauthorized), reserved);
        Assert.InRange(reserved - cleared, 0, statuses.Count(s => s == HttpStatusCode.Unauthorized));
    }
}
