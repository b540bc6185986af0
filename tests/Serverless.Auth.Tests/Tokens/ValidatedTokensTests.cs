using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Serverless.Auth.Http;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;
using Serverless.Auth.Tokens;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Tokens;

/// <summary>
/// The cache of validated tokens (<see cref="ValidatedTokens"/>) changes no answer: with every token already
/// verified (cache warm), logout, sign-out everywhere and expiry still refuse it at once; the cache is bounded.
/// Real Azurite, one instance on a fake clock.
/// </summary>
public sealed class ValidatedTokensTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string Password = "quartz-meadow-lantern-5810";
    private readonly FakeTimeProvider clock = new(DateTimeOffset.UtcNow);
    private TestApi api = null!;

    public async ValueTask InitializeAsync()
    {
        var settings = TestApi.DefaultSettings(azurite.ConnectionString);
        settings["Auth:Jwt:LifetimeSeconds"] = "30";
        api = await TestApi.StartAsync(settings, builder => builder.Services.AddSingleton<TimeProvider>(clock), cancellationToken: TestContext.Current.CancellationToken);
    }

    public ValueTask DisposeAsync() => api.DisposeAsync();

    private async Task<(SessionClient Browser, string Email)> SignedUpAndVerifiedAsync()
    {
        var browser = new SessionClient(api.Client);
        var email = $"c-{Guid.NewGuid():N}@example.com";
        Assert.Equal(HttpStatusCode.Created, (await browser.SignupAsync(email, Password)).StatusCode);
        await VerifiedTwiceAsync(browser);
        return (browser, email);
    }

    /// <summary>The second verify answers from the cache.</summary>
    private static async Task VerifiedTwiceAsync(SessionClient browser)
    {
        Assert.Equal(HttpStatusCode.OK, (await browser.VerifyAsync()).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.VerifyAsync()).StatusCode);
    }

    [Fact]
    public async Task LogoutRefusesACachedTokenAtOnce()
    {
        var (browser, _) = await SignedUpAndVerifiedAsync();
        var stale = browser.CopyTo(api.Client);

        Assert.Equal(HttpStatusCode.NoContent, (await browser.LogoutAsync()).StatusCode);

        await ResponseAssert.ProblemAsync(await stale.VerifyAsync(), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task SignOutEverywhereRefusesEveryCachedTokenOfTheUserAtOnce()
    {
        var (laptop, email) = await SignedUpAndVerifiedAsync();
        var phone = new SessionClient(api.Client);
        Assert.Equal(HttpStatusCode.OK, (await phone.LoginAsync(email, Password)).StatusCode);
        await VerifiedTwiceAsync(phone);
        var (bystander, _) = await SignedUpAndVerifiedAsync();

        Assert.Equal(HttpStatusCode.NoContent, (await laptop.LogoutAllAsync()).StatusCode);

        await ResponseAssert.ProblemAsync(await phone.VerifyAsync(), HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, (await bystander.VerifyAsync()).StatusCode);
    }

    [Fact]
    public async Task ACachedTokenExpiresExactlyWhenAnUncachedOneDoes()
    {
        var (browser, _) = await SignedUpAndVerifiedAsync();

        clock.Advance(TimeSpan.FromSeconds(59)); // lifetime 30 s + 30 s skew: still valid
        Assert.Equal(HttpStatusCode.OK, (await browser.VerifyAsync()).StatusCode);
        clock.Advance(TimeSpan.FromSeconds(2));

        await ResponseAssert.ProblemAsync(await browser.VerifyAsync(), HttpStatusCode.Unauthorized);
    }

    /// <summary>
    /// One kept-alive connection, where the authenticator remembers the last credential header it was sent (the same
    /// string object Kestrel reuses for the same bytes): every request is still answered for its own token (the same
    /// cookie again, another user's, the first again, a Bearer token beside a cookie), a logout made elsewhere refuses
    /// the next request on it, and so does the end of the token's lifetime.
    /// </summary>
    [Fact]
    public async Task OneKeptAliveConnectionAnswersEveryRequestForItsOwnToken()
    {
        using var connection = new HttpClient(new SocketsHttpHandler { UseCookies = false, MaxConnectionsPerServer = 1 }) { BaseAddress = api.BaseAddress };
        var (ann, annEmail) = await SignedUpAndVerifiedAsync();
        var (bob, bobEmail) = await SignedUpAndVerifiedAsync();
        var annHere = ann.CopyTo(connection);
        var bobHere = bob.CopyTo(connection);

        Assert.Equal(annEmail, await EmailAsync(annHere.VerifyAsync()));
        Assert.Equal(annEmail, await EmailAsync(annHere.VerifyAsync()));
        Assert.Equal(bobEmail, await EmailAsync(bobHere.VerifyAsync()));
        Assert.Equal(annEmail, await EmailAsync(annHere.VerifyAsync()));
        using (var bearer = new HttpRequestMessage(HttpMethod.Get, AuthApi.Verify.Path))
        {
            bearer.Headers.Add("Cookie", $"auth={ann.Access}");
            bearer.Headers.Authorization = new("Bearer", bob.Access);
            Assert.Equal(bobEmail, await EmailAsync(connection.SendAsync(bearer, TestContext.Current.CancellationToken)));
        }

        Assert.Equal(annEmail, await EmailAsync(annHere.VerifyAsync()));

        Assert.Equal(HttpStatusCode.NoContent, (await ann.LogoutAsync()).StatusCode);
        await ResponseAssert.ProblemAsync(await annHere.VerifyAsync(), HttpStatusCode.Unauthorized);
        Assert.Equal(bobEmail, await EmailAsync(bobHere.VerifyAsync()));
        Assert.Equal(bobEmail, await EmailAsync(bobHere.VerifyAsync()));

        clock.Advance(TimeSpan.FromSeconds(61)); // lifetime 30 s + 30 s skew: over
        await ResponseAssert.ProblemAsync(await bobHere.VerifyAsync(), HttpStatusCode.Unauthorized);
    }

    private static async Task<string?> EmailAsync(Task<HttpResponseMessage> response) =>
        (await ResponseAssert.JsonAsync(await response, HttpStatusCode.OK)).GetProperty("email").GetString();

    [Fact]
    public async Task TheCacheStaysBoundedAndEvictedTokensStillValidate()
    {
        var tokens = new AccessTokens(
            Options.Create(new JwtOptions { Issuer = "https://api.test", Audience = "https://app.test", SigningKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) }),
            clock);
        var issued = Enumerable.Range(0, ValidatedTokens.Capacity + 1000).Select(i => tokens.Issue($"user-{i}", $"u{i}@example.com", $"session-{i}")).ToList();

        foreach (var token in issued)
        {
            Assert.Equal(token.Subject, await tokens.ValidateAsync(token.Value));
        }

        Assert.InRange(tokens.Validated.Count, ValidatedTokens.Capacity / 2, ValidatedTokens.Capacity);
        foreach (var token in issued.Take(200))
        {
            // Evicted or not, each still validates to its own subject: no slot answers for another token.
            Assert.Equal(token.Subject, await tokens.ValidateAsync(token.Value));
        }

        Assert.Null(await tokens.ValidateAsync(issued[0].Value[..^2] + "AA"));
    }
}
