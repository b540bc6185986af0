using System.Net;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Http;

public sealed class ConcurrencyTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private TestApi api = null!;

    // This test is about uniqueness, not load shedding: let every request wait for a hashing slot.
    public async ValueTask InitializeAsync() =>
        api = await azurite.StartApiAsync(s => s["Auth:Argon2:QueueTimeoutMilliseconds"] = "60000");

    public ValueTask DisposeAsync() => api.DisposeAsync();

    [Fact]
    public async Task TwentyConcurrentSignupsForOneEmailCreateExactlyOneAccount()
    {
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            api.SignupAsync(i % 2 == 0 ? "race@example.com" : "RACE@example.com ", $"race-passphrase-number-{i:D2}")));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        Assert.Equal(19, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        Assert.DoesNotContain(responses, r => (int)r.StatusCode >= 500);

        // The one that won is the password that works.
        var winner = Array.FindIndex(responses, r => r.StatusCode == HttpStatusCode.Created);
        Assert.Equal(HttpStatusCode.OK, (await api.LoginAsync("race@example.com", $"race-passphrase-number-{winner:D2}")).StatusCode);
    }
}
