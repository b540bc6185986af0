using Microsoft.Extensions.Options;
using Serverless.Auth.Secrets;
using Serverless.Auth.Sessions;
using Serverless.Auth.Tokens;

namespace Serverless.Auth.Tests.Sessions;

/// <summary>The session settings and the refresh-token format, checked directly (no host).</summary>
public sealed class SessionSettingsTests
{
    private static readonly string Key = Convert.ToBase64String(new byte[32].Select((_, i) => (byte)(i * 7 + 1)).ToArray());

    [Theory]
    [InlineData(0, 43200, 10, "Auth__Session__IdleMinutes")]
    [InlineData(50000, 43200, 10, "Auth__Session__IdleMinutes")]
    [InlineData(60, 0, 10, "Auth__Session__AbsoluteMinutes")]
    [InlineData(60, 120, -1, "Auth__Session__ReuseGraceSeconds")]
    [InlineData(60, 120, 61, "Auth__Session__ReuseGraceSeconds")]
    public void UnsafeSessionSettingsAreRefusedNamingTheSetting(int idle, int absolute, int grace, string setting)
    {
        var result = new SessionLifetimeOptionsValidator().Validate(null, new SessionLifetimeOptions { IdleMinutes = idle, AbsoluteMinutes = absolute, ReuseGraceSeconds = grace });

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.StartsWith(setting, StringComparison.Ordinal));
    }

    [Fact]
    public void DefaultSessionSettingsAreValid() =>
        Assert.True(new SessionLifetimeOptionsValidator().Validate(null, new SessionLifetimeOptions()).Succeeded);

    [Theory]
    [InlineData(900, null, null)]
    [InlineData(1, null, null)]
    [InlineData(null, 30, null)]
    [InlineData(null, null, null)]
    [InlineData(0, null, "Auth__Jwt__LifetimeSeconds must be between 1 and 86400")]
    [InlineData(86401, null, "Auth__Jwt__LifetimeSeconds must be between 1 and 86400")]
    [InlineData(900, 15, "Auth__Jwt__LifetimeSeconds and Auth__Jwt__LifetimeMinutes are both set")]
    [InlineData(null, 0, "Auth__Jwt__LifetimeMinutes must be between 1 and 1440")]
    public void AccessLifetimeComesFromSecondsOrTheOlderMinutesNeverBoth(int? seconds, int? minutes, string? error)
    {
        var options = new JwtOptions { Issuer = "https://api.test", Audience = "https://app.test", SigningKey = Key, LifetimeSeconds = seconds, LifetimeMinutes = minutes };

        var result = new JwtOptionsValidator(runningInAzure: false).Validate(null, options);

        if (error is null)
        {
            Assert.True(result.Succeeded, result.FailureMessage);
            Assert.Equal(TimeSpan.FromSeconds(seconds ?? (minutes * 60) ?? 900), options.Lifetime);
        }
        else
        {
            Assert.Contains(result.Failures!, f => f.StartsWith(error, StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData(null, "Auth__Secrets__ServerKey is required")]
    [InlineData("", "Auth__Secrets__ServerKey is required")]
    [InlineData("c2hvcnQ=", "Auth__Secrets__ServerKey must be")]
    [InlineData("a:{0};a:{0}", "Auth__Secrets__ServerKey lists the key id 'a' twice")]
    [InlineData("@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/server-key)", "Auth__Secrets__ServerKey is an unresolved Key Vault reference")]
    public void ServerKeyMustBeAStrongKeyOrARotationList(string? value, string error)
    {
        var options = new ServerSecretOptions { ServerKey = value is null ? null : string.Format(System.Globalization.CultureInfo.InvariantCulture, value, Key) };

        var result = new ServerSecretOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.StartsWith(error, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void ServerKeyRotationListUsesTheFirstKey()
    {
        var other = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var key = new ServerKey(Options.Create(new ServerSecretOptions { ServerKey = $"new:{Key};old:{other}" }));

        Assert.Equal(["new", "old"], key.Keys.Select(k => k.Id));
    }

    [Fact]
    public void RefreshTokenRoundTripsAndItsSuccessorIsDeterministicPerKey()
    {
        var token = RefreshToken.Start(Guid.NewGuid().ToString(), RefreshToken.NewSessionId());
        var ring = new ServerKey(Options.Create(new ServerSecretOptions { ServerKey = $"a:{Key};b:{Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32))}" })).Keys;

        Assert.True(RefreshToken.TryParse(token.ToString(), out var parsed));
        Assert.Equal(token, parsed);
        Assert.Equal(token.Successor(ring[0]), token.Successor(ring[0]));
        Assert.NotEqual(token.Successor(ring[0]).Secret, token.Successor(ring[1]).Secret);
        Assert.Equal(1, token.Successor(ring[0]).Generation);
        Assert.NotEqual(token.SecretHash, token.Secret);
        Assert.Equal(43, token.SecretHash.Length);
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("a.b.c.d")]
    [InlineData("01234567-89ab-cdef-0123-456789abcdef.AAAAAAAAAAAAAAAAAAAAAA.-1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("01234567-89ab-cdef-0123-456789abcdef.AAAAAAAAAAAAAAAAAAAAAA.01.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("01234567-89ab-cdef-0123-456789abcdef.AAAAAAAAAAAAAAAAAAAAAA.99999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("01234567-89AB-CDEF-0123-456789ABCDEF.AAAAAAAAAAAAAAAAAAAAAA.0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("01234567-89ab-cdef-0123-456789abcdef.AAAAAAAAAAAAAAAAAAAAA/.0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("01234567-89ab-cdef-0123-456789abcdef.AAAAAAAAAAAAAAAAAAAAAA.0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA#")]
    [InlineData("01234567-89ab-cdef-0123-456789abcdef.AAAAAAAAAAAAAAAAAAAAAA.0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.x")]
    [InlineData("０１２３４５６７-89ab-cdef-0123-456789abcdef.AAAAAAAAAAAAAAAAAAAAAA.0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void MalformedRefreshTokensAreNoTokenAtAll(string value) =>
        Assert.False(RefreshToken.TryParse(value, out _));

    [Fact]
    public async Task TheServerKeyMayNotBeTheJwtSigningKey()
    {
        var settings = Serverless.Testing.TestApi.DefaultSettings("UseDevelopmentStorage=true");
        settings["Auth:Secrets:ServerKey"] = "old:" + Serverless.Testing.TestApi.NewSigningKey() + ";" + settings["Auth:Jwt:SigningKey"];
        await using var app = Serverless.Standalone.StandaloneApp.Build(["--urls", "http://127.0.0.1:0"], settings);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => app.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("Auth__Secrets__ServerKey shares a key with Auth__Jwt__SigningKey", error.Message, StringComparison.Ordinal);
    }
}
