using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Serverless.Auth.Tokens;

namespace Serverless.Auth.Tests.Tokens;

public sealed class AccessTokensTests
{
    private static readonly string Key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));

    private AccessTokens Create(Action<JwtOptions>? configure = null)
    {
        var options = new JwtOptions { Issuer = "https://api.test", Audience = "https://app.test", SigningKey = Key, LifetimeMinutes = 30 };
        configure?.Invoke(options);
        return new AccessTokens(Options.Create(options), clock);
    }

    [Fact]
    public async Task IssuedTokenCarriesTheExpectedClaimsAndValidates()
    {
        var tokens = Create();

        var issued = tokens.Issue("user-1", "ann@example.com", "session-1");

        var jwt = new JsonWebToken(issued.Value);
        Assert.Equal("HS256", jwt.Alg);
        Assert.Equal("at+jwt", jwt.Typ);
        Assert.False(string.IsNullOrEmpty(jwt.Kid));
        Assert.Equal("user-1", jwt.Subject);
        Assert.Equal("ann@example.com", jwt.GetPayloadValue<string>("email"));
        Assert.Equal("https://api.test", jwt.Issuer);
        Assert.Equal(["https://app.test"], jwt.Audiences);
        Assert.Equal(clock.GetUtcNow().UtcDateTime, jwt.IssuedAt);
        Assert.Equal(clock.GetUtcNow().UtcDateTime, jwt.ValidFrom);
        Assert.Equal(clock.GetUtcNow().AddMinutes(30).UtcDateTime, jwt.ValidTo);
        Assert.Equal(issued.Subject.TokenId, jwt.Id);
        Assert.True(jwt.Id.Length >= 22);

        var subject = await tokens.ValidateAsync(issued.Value);
        Assert.Equal(issued.Subject, subject);
    }

    [Fact]
    public void EveryTokenHasItsOwnId()
    {
        var tokens = Create();
        Assert.NotEqual(tokens.Issue("u", "a@b.c", "session-1").Subject.TokenId, tokens.Issue("u", "a@b.c", "session-1").Subject.TokenId);
    }

    [Fact]
    public async Task ExpiredTokenIsRejectedAfterTheClockSkew()
    {
        var tokens = Create();
        var issued = tokens.Issue("user-1", "ann@example.com", "session-1");

        clock.Advance(TimeSpan.FromMinutes(30) + TimeSpan.FromSeconds(29));
        Assert.NotNull(await tokens.ValidateAsync(issued.Value));

        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Null(await tokens.ValidateAsync(issued.Value));
    }

    /// <summary>
    /// The cache-only lookup of protected endpoints (<see cref="AccessTokens.FindValidated"/>) answers only for a token
    /// validated here before and still within its lifetime, with ValidateAsync's subject; anything else is left to it.
    /// </summary>
    [Fact]
    public async Task TheCacheOnlyLookupAgreesWithValidation()
    {
        var tokens = Create();
        var issued = tokens.Issue("user-1", "ann@example.com", "session-1");
        Assert.Null(tokens.FindValidated(issued.Value));

        Assert.Equal(issued.Subject, await tokens.ValidateAsync(issued.Value));
        Assert.Equal(issued.Subject, tokens.FindValidated(issued.Value)?.Subject);
        Assert.Equal(issued.Subject, tokens.FindValidated(("x" + issued.Value + "x").AsSpan(1, issued.Value.Length))?.Subject);
        Assert.Null(tokens.FindValidated(issued.Value.AsSpan(0, issued.Value.Length - 1)));
        Assert.Null(tokens.FindValidated(issued.Value[..^1] + (issued.Value[^1] == 'A' ? 'B' : 'A')));
        Assert.Null(tokens.FindValidated(issued.Value[..^1] + "\u00e9"));
        Assert.Null(tokens.FindValidated(""));

        var entry = tokens.FindValidated(issued.Value)!;
        clock.Advance(TimeSpan.FromMinutes(30) + TimeSpan.FromSeconds(29));
        Assert.Equal(issued.Subject, tokens.FindValidated(issued.Value)?.Subject);
        Assert.True(tokens.IsStillValid(entry));
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Null(tokens.FindValidated(issued.Value));
        Assert.False(tokens.IsStillValid(entry));
        Assert.Null(await tokens.ValidateAsync(issued.Value));
    }

    [Fact]
    public async Task TokenFromTheFutureIsRejected()
    {
        var validator = Create();
        var issuerClock = new FakeTimeProvider(clock.GetUtcNow());
        var issuer = new AccessTokens(Options.Create(new JwtOptions { Issuer = "https://api.test", Audience = "https://app.test", SigningKey = Key }), issuerClock);
        var within = issuer.Issue("user-1", "ann@example.com", "session-1");
        issuerClock.Advance(TimeSpan.FromSeconds(31));
        var future = issuer.Issue("user-1", "ann@example.com", "session-1");

        // nbf up to 30 s ahead is clock skew; beyond that the token is not yet valid.
        Assert.NotNull(await validator.ValidateAsync(within.Value));
        Assert.Null(await validator.ValidateAsync(future.Value));
    }

    [Fact]
    public async Task OtherIssuerOrAudienceIsRejected()
    {
        var otherIssuer = Create(o => o.Issuer = "https://evil.test").Issue("user-1", "a@b.c", "session-1");
        var otherAudience = Create(o => o.Audience = "https://other-app.test").Issue("user-1", "a@b.c", "session-1");

        Assert.Null(await Create().ValidateAsync(otherIssuer.Value));
        Assert.Null(await Create().ValidateAsync(otherAudience.Value));
    }

    [Fact]
    public async Task TokenSignedWithAnotherKeyIsRejected()
    {
        var forged = Create(o => o.SigningKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))).Issue("user-1", "a@b.c", "session-1");
        Assert.Null(await Create().ValidateAsync(forged.Value));
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("a.b.c")]
    [InlineData("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")]
    public async Task MalformedTokensAreRejected(string token) => Assert.Null(await Create().ValidateAsync(token));

    [Fact]
    public async Task AValidTokenWithANonAsciiCharacterAddedIsRefusedAndTheOriginalStillValidates()
    {
        // The validated-token cache hashes a token's ASCII bytes: a character outside ASCII must be refused before that,
        // never folded into a digest that could equal a cached token's.
        var tokens = Create();
        var issued = tokens.Issue("user-1", "ann@example.com", "session-1");
        Assert.NotNull(await tokens.ValidateAsync(issued.Value));

        Assert.Null(await tokens.ValidateAsync(issued.Value + "\u00e9"));
        Assert.Null(await tokens.ValidateAsync(issued.Value.Replace('.', '\u2024')));
        Assert.Null(await tokens.ValidateAsync(issued.Value[..^1] + "\uff41"));
        Assert.NotNull(await tokens.ValidateAsync(issued.Value));
    }

    [Fact]
    public async Task RotatedKeysSignWithTheNewestAndValidateAll()
    {
        var oldKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var newKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
        var before = Create(o => { o.SigningKey = null; o.SigningKeys = $"k1:{oldKey}"; });
        var oldToken = before.Issue("u", "a@b.c", "session-1").Value;

        var after = Create(o => { o.SigningKey = null; o.SigningKeys = $"k2:{newKey}; k1:{oldKey}"; });
        var newToken = after.Issue("u", "a@b.c", "session-1").Value;

        Assert.Equal("k2", new JsonWebToken(newToken).Kid);
        Assert.NotNull(await after.ValidateAsync(oldToken));
        Assert.NotNull(await after.ValidateAsync(newToken));

        var retired = Create(o => { o.SigningKey = null; o.SigningKeys = $"k2:{newKey}"; });
        Assert.Null(await retired.ValidateAsync(oldToken));
    }

    [Fact]
    public async Task MovingFromTheSingleKeySettingToRotationKeepsItsTokensValid()
    {
        var single = Create();
        var token = single.Issue("u", "a@b.c", "session-1").Value;
        var newKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

        // The old key listed bare keeps its derived id.
        var rotating = Create(o => { o.SigningKey = null; o.SigningKeys = $"k2:{newKey};{Key}"; });
        Assert.NotNull(await rotating.ValidateAsync(token));
        Assert.Equal("k2", new JsonWebToken(rotating.Issue("u", "a@b.c", "session-1").Value).Kid);

        // Listed under a made-up id it is a different kid, and the token is refused.
        var renamed = Create(o => { o.SigningKey = null; o.SigningKeys = $"k2:{newKey};k1:{Key}"; });
        Assert.Null(await renamed.ValidateAsync(token));
    }

    [Fact]
    public void SingleKeyGetsAStableDerivedKeyId()
    {
        var first = new JsonWebToken(Create().Issue("u", "a@b.c", "session-1").Value).Kid;
        var second = new JsonWebToken(Create().Issue("u", "a@b.c", "session-1").Value).Kid;

        Assert.Equal(first, second);
        Assert.Equal(16, first.Length);
        Assert.DoesNotContain(first, Key, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, null, "Auth__Jwt__SigningKey is required")]
    [InlineData("c2hvcnQ=", null, "Auth__Jwt__SigningKey must be base64 of at least 32")]
    [InlineData("not base64 at all!!", null, "Auth__Jwt__SigningKey must be base64")]
    [InlineData("KEY", "k1:KEY", "both set")]
    [InlineData(null, "not-a-key", "Auth__Jwt__SigningKeys must be")]
    [InlineData(null, ":KEY", "Auth__Jwt__SigningKeys must be")]
    [InlineData(null, "k/1:KEY", "Auth__Jwt__SigningKeys must be")]
    [InlineData(null, "k1:KEY;k1:KEY", "twice")]
    public void BadKeySettingsNameTheSetting(string? oneKey, string? list, string expected)
    {
        var options = new JwtOptions { Issuer = "i", Audience = "a", SigningKey = oneKey?.Replace("KEY", Key, StringComparison.Ordinal), SigningKeys = list?.Replace("KEY", Key, StringComparison.Ordinal) };

        var result = new JwtOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(expected, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSampleKeyIsRefusedInAzureOnly()
    {
        var sampleKey = Serverless.Standalone.LocalSettings.Read(Serverless.Testing.RepoPaths.Combine("local.settings.sample.json"))["Auth:Jwt:SigningKey"];
        var options = new JwtOptions { Issuer = "i", Audience = "a", SigningKey = sampleKey };

        Assert.True(new JwtOptionsValidator(runningInAzure: false, development: true).Validate(null, options).Succeeded);
        var inAzure = new JwtOptionsValidator(runningInAzure: true).Validate(null, options);
        Assert.True(inAzure.Failed);
        Assert.Contains("local-only key", inAzure.FailureMessage, StringComparison.Ordinal);
        Assert.True(new JwtOptionsValidator(runningInAzure: true).Validate(null, new JwtOptions { Issuer = "i", Audience = "a", SigningKey = Key }).Succeeded);
    }

    [Fact]
    public void MissingIssuerAndAudienceAreNamed()
    {
        var result = new JwtOptionsValidator().Validate(null, new JwtOptions { SigningKey = Key });
        Assert.Contains("Auth__Jwt__Issuer", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Auth__Jwt__Audience", result.FailureMessage, StringComparison.Ordinal);
    }

    /// <summary>Hand-builds a JWT so every header/claim can be set to an attack value.</summary>
    internal static string Craft(byte[] key, IDictionary<string, object> header, IDictionary<string, object> payload)
    {
        static string Part(IDictionary<string, object> values) =>
            Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(values)));

        var signingInput = Part(header) + "." + Part(payload);
        var signature = Base64UrlEncoder.Encode(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(signingInput)));
        return signingInput + "." + signature;
    }
}
