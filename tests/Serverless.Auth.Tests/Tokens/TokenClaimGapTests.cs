using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Serverless.Auth.Secrets;
using Serverless.Auth.Tokens;

namespace Serverless.Auth.Tests.Tokens;

/// <summary>
/// Issue 13, defect 8: tokens signed with the real key (what a leaked key allows) that the handler alone
/// accepted: a crit header, a lifetime longer than configured (+ skew), iat in the future (beyond skew).
/// </summary>
public sealed class TokenClaimGapTests
{
    private const int LifetimeSeconds = 900;
    private const int Skew = 30;
    private static readonly byte[] KeyBytes = RandomNumberGenerator.GetBytes(32);
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));

    private AccessTokens Tokens() => new(
        Options.Create(new JwtOptions { Issuer = "https://api.test", Audience = "https://app.test", SigningKey = Convert.ToBase64String(KeyBytes), LifetimeSeconds = LifetimeSeconds }),
        clock);

    private long Now => clock.GetUtcNow().ToUnixTimeSeconds();

    private static string Token(long iat, long? nbf, long exp, IDictionary<string, object>? extraHeader = null)
    {
        var header = new Dictionary<string, object> { ["alg"] = "HS256", ["typ"] = "at+jwt", ["kid"] = KeyRing.DeriveKeyId(KeyBytes) };
        foreach (var (name, value) in extraHeader ?? new Dictionary<string, object>())
        {
            header[name] = value;
        }

        var payload = new Dictionary<string, object>
        {
            ["iss"] = "https://api.test", ["aud"] = "https://app.test", ["sub"] = "user-1", ["email"] = "ann@example.com",
            ["jti"] = "token-1", ["sid"] = "session-1", ["iat"] = iat, ["exp"] = exp,
        };
        if (nbf is { } notBefore)
        {
            payload["nbf"] = notBefore;
        }

        return AccessTokensTests.Craft(KeyBytes, header, payload);
    }

    [Fact]
    public async Task CritHeaderIsRefused()
    {
        var tokens = Tokens();
        Assert.NotNull(await tokens.ValidateAsync(Token(Now, Now, Now + 600, new Dictionary<string, object> { ["x-ext"] = "v" })));

        Assert.Null(await tokens.ValidateAsync(Token(Now, Now, Now + 600, new Dictionary<string, object> { ["x-ext"] = "v", ["crit"] = new[] { "x-ext" } })));
        Assert.Null(await tokens.ValidateAsync(Token(Now, Now, Now + 600, new Dictionary<string, object> { ["crit"] = Array.Empty<string>() })));
    }

    [Fact]
    public async Task LifetimeLongerThanConfiguredPlusSkewIsRefused()
    {
        var tokens = Tokens();
        Assert.NotNull(await tokens.ValidateAsync(Token(Now, Now, Now + LifetimeSeconds + Skew)));

        Assert.Null(await tokens.ValidateAsync(Token(Now, Now, Now + LifetimeSeconds + Skew + 1)));
        Assert.Null(await tokens.ValidateAsync(Token(Now, null, Now + (365 * 24 * 3600))));
    }

    [Fact]
    public async Task LifetimeFromNotBeforeLongerThanConfiguredPlusSkewIsRefused()
    {
        var tokens = Tokens();

        // exp - iat is fine, exp - nbf is not: a token valid from long before it was issued.
        Assert.Null(await tokens.ValidateAsync(Token(Now, Now - 3600, Now + 600)));
    }

    [Fact]
    public async Task IssuedAtInTheFutureBeyondSkewIsRefused()
    {
        var tokens = Tokens();
        Assert.NotNull(await tokens.ValidateAsync(Token(Now + Skew, Now, Now + 600)));

        Assert.Null(await tokens.ValidateAsync(Token(Now + Skew + 1, Now, Now + 600)));
        Assert.Null(await tokens.ValidateAsync(Token(Now + 3600, null, Now + 600)));
    }
}
