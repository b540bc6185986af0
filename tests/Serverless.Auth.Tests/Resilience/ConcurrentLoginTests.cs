using System.Net;
using Serverless.Auth.Tests.Infrastructure;

namespace Serverless.Auth.Tests.Resilience;

public sealed class ConcurrentLoginTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task TwoHundredConcurrentLoginsAreAllAnsweredWithoutServerErrors()
    {
        await using var api = await azurite.StartApiAsync(s =>
        {
            s["Auth:Argon2:MaxConcurrentHashes"] = "2";
            s["Auth:Argon2:QueueTimeoutMilliseconds"] = "1000";
        });
        Assert.Equal(HttpStatusCode.Created, (await api.SignupAsync("crowd@example.com", "saffron-glacier-tunnel-8842")).StatusCode);

        var responses = await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
            i % 2 == 0 ? api.LoginAsync("crowd@example.com", "saffron-glacier-tunnel-8842") : api.LoginAsync($"stranger{i}@example.com", "wrong-guess-" + i)));

        foreach (var (response, i) in responses.Select((response, i) => (response, i)))
        {
            // Under load the right password is never refused as wrong, and a stranger never gets in.
            Assert.Contains(response.StatusCode, i % 2 == 0
                ? new[] { HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.ServiceUnavailable }
                : new[] { HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests, HttpStatusCode.ServiceUnavailable });
            if (response.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests)
            {
                // Load shed by the hashing bound, or the burst on one account held back by its backoff
                // (every check is reserved first): a problem with Retry-After, never a crash.
                var problem = await ResponseAssert.ProblemAsync(response, response.StatusCode);
                Assert.NotNull(response.Headers.RetryAfter);
                Assert.True(problem.GetProperty("retryAfter").GetInt32() >= 1);
            }
        }

        // Whether one of the flood's right-password checks wins a hashing slot within the 1 s queue is luck (100
        // strangers' checks queue beside it); what must hold is that the flood locks no one out for longer than it
        // says: once the longest Retry-After it gave has passed, the right password signs in.
        var longest = responses.Select(r => r.Headers.RetryAfter?.Delta ?? TimeSpan.Zero).Max();
        if (!responses.Any(r => r.StatusCode == HttpStatusCode.OK))
        {
            await Task.Delay(longest + TimeSpan.FromMilliseconds(200), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, (await api.LoginAsync("crowd@example.com", "saffron-glacier-tunnel-8842")).StatusCode);
        }

        Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.ServiceUnavailable);
    }
}
