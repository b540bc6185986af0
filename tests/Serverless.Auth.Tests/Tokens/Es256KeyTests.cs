using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Serverless.Auth.Tokens;

namespace Serverless.Auth.Tests.Tokens;

/// <summary>ES256 keys: parsing, kid, each start-up refusal, and the algorithm pinned per key.</summary>
public sealed class Es256KeyTests
{
    private static readonly string HmacKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));

    public static string NewPem() => ECDsa.Create(ECCurve.NamedCurves.nistP256).ExportPkcs8PrivateKeyPem();

    private static JwtOptions Options(Action<JwtOptions> configure)
    {
        var options = new JwtOptions { Issuer = "https://api.test/api/auth", Audience = "https://app.test" };
        configure(options);
        return options;
    }

    private static string Refusal(Action<JwtOptions> configure)
    {
        var result = new JwtOptionsValidator(runningInAzure: true).Validate(null, Options(configure));
        Assert.True(result.Failed);
        return Assert.Single(result.Failures!);
    }

    private AccessTokens Tokens(Action<JwtOptions> configure) => new(Microsoft.Extensions.Options.Options.Create(Options(configure)), clock);

    [Fact]
    public void ConcatenatedBlocksParseInOrderWithTheRfc7638ThumbprintAsKid()
    {
        var first = NewPem();
        var second = NewPem();

        var set = Options(o => o.SigningKeysPem = first + "\n" + second).Keys.Set!;

        Assert.Equal(2, set.PublishedKeys.Count);
        Assert.Equal(SecurityAlgorithms.EcdsaSha256, set.SigningAlgorithm);
        Assert.Same(set.PublishedKeys[0].PrivateKey, set.Current);
        using var expected = ECDsa.Create();
        expected.ImportFromPem(first);
        // An independent thumbprint: Microsoft.IdentityModel's own RFC 7638 implementation.
        var jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(expected));
        Assert.Equal(Base64UrlEncoder.Encode(jwk.ComputeJwkThumbprint()), set.PublishedKeys[0].KeyId);
        Assert.Equal(jwk.X, set.PublishedKeys[0].X);
        Assert.Equal(jwk.Y, set.PublishedKeys[0].Y);
        Assert.NotEqual(set.PublishedKeys[0].KeyId, set.PublishedKeys[1].KeyId);
        Assert.False(set.PublishedKeys[0].PublicKey.ECDsa.ExportParameters(false).D is not null);
    }

    [Fact]
    public void PublishedKeysVerifyButNeverSign()
    {
        var signing = NewPem();
        var published = NewPem();

        var set = Options(o => { o.SigningKeysPem = signing; o.PublishedKeysPem = published; }).Keys.Set!;

        Assert.Equal(2, set.PublishedKeys.Count);
        Assert.Same(set.PublishedKeys[0].PrivateKey, set.Current);
        Assert.Equal(2, set.ValidationKeys.Count);
    }

    [Fact]
    public async Task TokensAreEs256WithTheThumbprintKidAndValidate()
    {
        var tokens = Tokens(o => o.SigningKeysPem = NewPem());

        var issued = tokens.Issue("user-1", "ann@example.com", "session-1");

        var jwt = new JsonWebToken(issued.Value);
        Assert.Equal("ES256", jwt.Alg);
        Assert.Equal("at+jwt", jwt.Typ);
        Assert.Equal(43, jwt.Kid.Length);
        Assert.Equal(issued.Subject, await tokens.ValidateAsync(issued.Value));
    }

    [Fact]
    public async Task MigrationSignsWithEs256AndHs256TokensStillVerify()
    {
        var pem = NewPem();
        var before = Tokens(o => o.SigningKey = HmacKey);
        var publishFirst = Tokens(o => { o.SigningKey = HmacKey; o.PublishedKeysPem = pem; });
        var after = Tokens(o => { o.SigningKey = HmacKey; o.SigningKeysPem = pem; });
        var esOnly = Tokens(o => o.SigningKeysPem = pem);

        var old = before.Issue("u", "a@b.c", "s").Value;
        var published = publishFirst.Issue("u", "a@b.c", "s").Value;
        var signed = after.Issue("u", "a@b.c", "s").Value;

        Assert.Equal("HS256", new JsonWebToken(published).Alg);
        Assert.Equal("ES256", new JsonWebToken(signed).Alg);
        Assert.NotNull(await after.ValidateAsync(old));
        Assert.NotNull(await publishFirst.ValidateAsync(signed));
        Assert.NotNull(await after.ValidateAsync(signed));
        // The HMAC key gone: its tokens are refused, the ES256 ones still verify.
        Assert.Null(await esOnly.ValidateAsync(old));
        Assert.NotNull(await esOnly.ValidateAsync(signed));
        Assert.Null(await before.ValidateAsync(signed));
    }

    [Fact]
    public async Task AnHs256TokenNamingAnEcKeyIsRefused()
    {
        var tokens = Tokens(o => { o.SigningKey = HmacKey; o.SigningKeysPem = NewPem(); });
        var genuine = new JsonWebToken(tokens.Issue("u", "a@b.c", "s").Value);

        // Classic confusion: the public key's bytes used as an HMAC secret, with the EC key's kid.
        var publicJwk = Encoding.UTF8.GetBytes(genuine.Kid + genuine.Kid);
        var forged = Forge(new SymmetricSecurityKey(publicJwk) { KeyId = genuine.Kid }, SecurityAlgorithms.HmacSha256, genuine);

        Assert.Null(await tokens.ValidateAsync(forged));
    }

    [Fact]
    public async Task AnEs256TokenNamingAnHmacKeyIsRefused()
    {
        var tokens = Tokens(o => { o.SigningKey = HmacKey; o.PublishedKeysPem = NewPem(); });
        var genuine = new JsonWebToken(tokens.Issue("u", "a@b.c", "s").Value);
        Assert.Equal("HS256", genuine.Alg);

        var attacker = new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = genuine.Kid };
        var forged = Forge(attacker, SecurityAlgorithms.EcdsaSha256, genuine);

        Assert.Null(await tokens.ValidateAsync(forged));
    }

    [Fact]
    public async Task AnEs256TokenFromAnUnpublishedKeyIsRefusedEvenWithAPublishedKid()
    {
        var pem = NewPem();
        var tokens = Tokens(o => o.SigningKeysPem = pem);
        var genuine = new JsonWebToken(tokens.Issue("u", "a@b.c", "s").Value);

        var attacker = new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = genuine.Kid };

        Assert.Null(await tokens.ValidateAsync(Forge(attacker, SecurityAlgorithms.EcdsaSha256, genuine)));
    }

    private string Forge(SecurityKey key, string algorithm, JsonWebToken like) =>
        new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = like.Issuer,
            Audience = like.Audiences.Single(),
            IssuedAt = clock.GetUtcNow().UtcDateTime,
            NotBefore = clock.GetUtcNow().UtcDateTime,
            Expires = clock.GetUtcNow().AddMinutes(5).UtcDateTime,
            TokenType = AccessTokens.TokenType,
            SigningCredentials = new SigningCredentials(key, algorithm),
            Claims = new Dictionary<string, object> { ["sub"] = "admin", ["email"] = "admin@b.c", ["jti"] = "forged-token-id-0001", ["sid"] = "s" },
        });

    [Fact]
    public void HmacKeysAloneStillWorkAndPublishNothing()
    {
        var set = Options(o => o.SigningKey = HmacKey).Keys.Set!;

        Assert.Empty(set.PublishedKeys);
        Assert.Equal(SecurityAlgorithms.HmacSha256, set.SigningAlgorithm);
    }

    [Fact]
    public void NoKeyAtAllNamesBothModes()
    {
        var message = Refusal(_ => { });
        Assert.Contains("Auth__Jwt__SigningKeysPem", message, StringComparison.Ordinal);
        Assert.StartsWith("Auth__Jwt__SigningKey is required", message, StringComparison.Ordinal);
    }

    [Fact]
    public void PublishedKeysAloneAreRefused() =>
        Assert.StartsWith("Auth__Jwt__PublishedKeysPem never signs", Refusal(o => o.PublishedKeysPem = NewPem()), StringComparison.Ordinal);

    [Theory]
    [InlineData("not a key")]
    [InlineData("-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----")]
    [InlineData("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----")]
    public void MalformedPemIsRefused(string pem)
    {
        var message = Refusal(o => o.SigningKeysPem = pem);
        Assert.StartsWith("Auth__Jwt__SigningKeysPem ", message, StringComparison.Ordinal);
        Assert.Contains("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256", message, StringComparison.Ordinal);
    }

    [Fact]
    public void TextBetweenBlocksIsRefused() =>
        Assert.StartsWith("Auth__Jwt__SigningKeysPem is not PEM", Refusal(o => o.SigningKeysPem = NewPem() + "\nstray\n" + NewPem()), StringComparison.Ordinal);

    [Fact]
    public void TruncatedSecondBlockIsRefused()
    {
        var second = NewPem();
        Assert.StartsWith("Auth__Jwt__SigningKeysPem", Refusal(o => o.SigningKeysPem = NewPem() + "\n" + second[..(second.Length / 2)]), StringComparison.Ordinal);
    }

    [Fact]
    public void Sec1EcPrivateKeyBlockIsRefusedWithTheConversion()
    {
        var message = Refusal(o => o.SigningKeysPem = ECDsa.Create(ECCurve.NamedCurves.nistP256).ExportECPrivateKeyPem());
        Assert.Contains("'EC PRIVATE KEY' block", message, StringComparison.Ordinal);
        Assert.Contains("openssl pkcs8 -topk8 -nocrypt", message, StringComparison.Ordinal);
    }

    [Fact]
    public void PublicKeyBlockIsRefused() =>
        Assert.Contains("'PUBLIC KEY' block", Refusal(o => { o.SigningKeysPem = NewPem(); o.PublishedKeysPem = ECDsa.Create(ECCurve.NamedCurves.nistP256).ExportSubjectPublicKeyInfoPem(); }), StringComparison.Ordinal);

    [Theory]
    [InlineData("nistP384")]
    [InlineData("nistP521")]
    public void OtherCurvesAreRefused(string curve)
    {
        var pem = ECDsa.Create(ECCurve.CreateFromFriendlyName(curve)).ExportPkcs8PrivateKeyPem();
        var message = Refusal(o => o.SigningKeysPem = pem);
        Assert.StartsWith("Auth__Jwt__SigningKeysPem key 1 is on the curve", message, StringComparison.Ordinal);
        Assert.Contains("only P-256", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1024)]
    [InlineData(2048)]
    public void RsaKeysAreRefusedWhateverTheirSize(int bits)
    {
        var pem = RSA.Create(bits).ExportPkcs8PrivateKeyPem();
        Assert.StartsWith("Auth__Jwt__PublishedKeysPem key 2 is an RSA key", Refusal(o => { o.SigningKeysPem = NewPem(); o.PublishedKeysPem = NewPem() + "\n" + pem; }), StringComparison.Ordinal);
    }

    [Fact]
    public void UnresolvedKeyVaultReferenceGetsItsMessage()
    {
        var message = Refusal(o => o.SigningKeysPem = "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/jwt-signing-keys-pem)");
        Assert.StartsWith("Auth__Jwt__SigningKeysPem is an unresolved Key Vault reference", message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSameKeyListedTwiceIsRefused()
    {
        var pem = NewPem();
        Assert.Contains("twice", Refusal(o => { o.SigningKeysPem = pem; o.PublishedKeysPem = pem; }), StringComparison.Ordinal);
    }

    [Fact]
    public void AnHmacKeyIdEqualToAnEcThumbprintIsRefused()
    {
        var pem = NewPem();
        var kid = Options(o => o.SigningKeysPem = pem).Keys.Set!.PublishedKeys[0].KeyId;

        var message = Refusal(o => { o.SigningKeysPem = pem; o.SigningKeys = kid + ":" + HmacKey; });

        Assert.StartsWith("Auth__Jwt__SigningKeys uses the key id", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("api.test")]
    [InlineData("urn:example:issuer")]
    public void PublishingNeedsAnHttpIssuer(string issuer)
    {
        var options = Options(o => o.SigningKeysPem = NewPem());
        options.Issuer = issuer;

        var result = new JwtOptionsValidator(runningInAzure: true).Validate(null, options);

        Assert.StartsWith("Auth__Jwt__Issuer must be an absolute http(s) URL", Assert.Single(result.Failures!), StringComparison.Ordinal);
    }
}
