using System.Globalization;
using System.Net;
using Azure.Data.Tables;
using Serverless.Auth.Accounts;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Http;

public sealed class ThrottlingTests(AzuriteFixture azurite, ThrottlingTests.Backoff backoff) : IClassFixture<ThrottlingTests.Backoff>
{
    private const string Password = "juniper-canyon-meadow-5512";

    /// <summary>
    /// One API for the per-account backoff cases: backoff after 3 failures, 60 s first window. Backoff is kept per
    /// email, so the cases share it with addresses of their own; the per-address rate limits get hosts of their own.
    /// </summary>
    public sealed class Backoff(AzuriteFixture azurite) : IAsyncLifetime
    {
        public const int FreeFailures = 3;

        public TestApi Api { get; private set; } = null!;

        public async ValueTask InitializeAsync() => Api = await azurite.StartApiAsync(s =>
        {
            s["Auth:Throttling:FreeFailures"] = FreeFailures.ToString(CultureInfo.InvariantCulture);
            s["Auth:Throttling:BaseDelaySeconds"] = "60";
        });

        public ValueTask DisposeAsync() => Api.DisposeAsync();
    }

    [Fact]
    public async Task RepeatedFailuresBackOffWithRetryAfterWhateverThePassword()
    {
        var api = backoff.Api;
        var victim = Emails.Unique("victim");
        Assert.Equal(HttpStatusCode.Created, (await api.SignupAsync(victim, Password)).StatusCode);

        for (var i = 0; i < Backoff.FreeFailures; i++)
        {
            await ResponseAssert.ProblemAsync(await api.LoginAsync(victim, "wrong-password-guess-" + i), HttpStatusCode.Unauthorized);
        }

        var blocked = await api.LoginAsync(victim, Password);

        var problem = await ResponseAssert.ProblemAsync(blocked, HttpStatusCode.TooManyRequests);
        Assert.Equal("Too many attempts.", problem.GetProperty("title").GetString());
        var retryAfter = blocked.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(50), TimeSpan.FromSeconds(60));
        Assert.False(blocked.Headers.Contains("Set-Cookie"));

        // Stored state: the failures are counted in Table Storage, so every instance sees them.
        var table = new TableClient(azurite.ConnectionString, api.Settings["Auth:Storage:LoginThrottleTable"]);
        var row = await table.GetEntityAsync<TableEntity>(EmailAddress.StorageKey(victim), "login", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(Backoff.FreeFailures, row.Value.GetInt64("Reserved") - row.Value.GetInt64("ClearedThrough"));
    }

    [Fact]
    public async Task UnknownEmailsAreThrottledTheSameWay()
    {
        var api = backoff.Api;
        var nobody = Emails.Unique("nobody");

        for (var i = 0; i < Backoff.FreeFailures; i++)
        {
            await ResponseAssert.ProblemAsync(await api.LoginAsync(nobody, Password), HttpStatusCode.Unauthorized);
        }

        await ResponseAssert.ProblemAsync(await api.LoginAsync(nobody, Password), HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task SuccessfulLoginResetsTheFailureCount()
    {
        var api = backoff.Api;
        var forgetful = Emails.Unique("forgetful");
        Assert.Equal(HttpStatusCode.Created, (await api.SignupAsync(forgetful, Password)).StatusCode);

        await api.LoginAsync(forgetful, "wrong-password-guess-1");
        await api.LoginAsync(forgetful, "wrong-password-guess-2");
        Assert.Equal(HttpStatusCode.OK, (await api.LoginAsync(forgetful, Password)).StatusCode);
        await api.LoginAsync(forgetful, "wrong-password-guess-3");
        await api.LoginAsync(forgetful, "wrong-password-guess-4");

        Assert.Equal(HttpStatusCode.OK, (await api.LoginAsync(forgetful, Password)).StatusCode);
    }

    [Fact]
    public async Task ClientRateLimitAnswers429WithRetryAfter()
    {
        await using var api = await azurite.StartApiAsync(s => s["Auth:Throttling:SignupPerMinute"] = "2");

        Assert.Equal(HttpStatusCode.Created, (await api.SignupAsync("rate1@example.com", Password)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await api.SignupAsync("rate2@example.com", Password)).StatusCode);
        var limited = await api.SignupAsync("rate3@example.com", Password);

        var problem = await ResponseAssert.ProblemAsync(limited, HttpStatusCode.TooManyRequests);
        Assert.Contains("this address", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.InRange(limited.Headers.RetryAfter!.Delta!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        // Login has its own budget.
        Assert.Equal(HttpStatusCode.OK, (await api.LoginAsync("rate1@example.com", Password)).StatusCode);
    }

    [Fact]
    public async Task ForwardedForIsIgnoredUnlessThePeerIsATrustedProxy()
    {
        await using var direct = await azurite.StartApiAsync(s => s["Auth:Throttling:LoginPerMinute"] = "1");
        direct.Client.DefaultRequestHeaders.Add("X-Forwarded-For", "203.0.113.1");
        await direct.LoginAsync("a@example.com", Password);
        direct.Client.DefaultRequestHeaders.Remove("X-Forwarded-For");
        direct.Client.DefaultRequestHeaders.Add("X-Forwarded-For", "203.0.113.2");
        await ResponseAssert.ProblemAsync(await direct.LoginAsync("a@example.com", Password), HttpStatusCode.TooManyRequests);

        await using var proxied = await azurite.StartApiAsync(s =>
        {
            s["Auth:Throttling:LoginPerMinute"] = "1";
            s["Auth:Throttling:TrustedProxies"] = "127.0.0.0/8, ::1";
        });
        proxied.Client.DefaultRequestHeaders.Add("X-Forwarded-For", "198.51.100.7, 203.0.113.1:4711");
        Assert.Equal(HttpStatusCode.Unauthorized, (await proxied.LoginAsync("a@example.com", Password)).StatusCode);
        proxied.Client.DefaultRequestHeaders.Remove("X-Forwarded-For");
        // A spoofed left-most entry does not buy a new budget: the right-most untrusted entry is the client.
        proxied.Client.DefaultRequestHeaders.Add("X-Forwarded-For", "10.9.9.9, 203.0.113.1:4711");
        await ResponseAssert.ProblemAsync(await proxied.LoginAsync("a@example.com", Password), HttpStatusCode.TooManyRequests);
        proxied.Client.DefaultRequestHeaders.Remove("X-Forwarded-For");
        proxied.Client.DefaultRequestHeaders.Add("X-Forwarded-For", "[2001:db8::5]:443");
        Assert.Equal(HttpStatusCode.Unauthorized, (await proxied.LoginAsync("a@example.com", Password)).StatusCode);
    }
}
