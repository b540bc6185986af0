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

        Assert.Equal(200, responses.Length);
        foreach (var response in responses)
        {
            Assert.Contains(response.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests, HttpStatusCode.ServiceUnavailable });
            if (response.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests)
            {
                // Load shed by the hashing bound, or the burst on one account held back by its backoff
                // (every check is reserved first): a problem with Retry-After, never a crash.
                var problem = await ResponseAssert.ProblemAsync(response, response.StatusCode);
                Assert.NotNull(response.Headers.RetryAfter);
                Assert.True(problem.GetProperty("retryAfter").GetInt32() >= 1);
            }
        }

        Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.OK);
        Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.ServiceUnavailable);
    }
}
