using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Tokens;

/// <summary>The attack corpus: every one of these tokens must get 401 from verify, as cookie and as bearer.</summary>
public sealed class TokenAttackTests(TokenAttackTests.Target target) : IClassFixture<TokenAttackTests.Target>
{
    private TestApi Api => target.Api;
    private JsonWebToken Genuine => target.Genuine;
    private string GenuineValue => target.GenuineValue;

    /// <summary>One API and one genuine account for the whole corpus: verifying changes nothing, so every case shares them.</summary>
    public sealed class Target(AzuriteFixture azurite) : IAsyncLifetime
    {
        private readonly SharedApi shared = new(azurite);

        public TestApi Api => shared.Api;
        public byte[] Key { get; private set; } = [];
        public JsonWebToken Genuine { get; private set; } = null!;
        public string GenuineValue { get; private set; } = "";

        public async ValueTask InitializeAsync()
        {
            await shared.InitializeAsync();
            Key = Convert.FromBase64String(Api.Settings["Auth:Jwt:SigningKey"]!);
            var signup = await Api.SignupAsync("target@example.com", "kettle-summit-willow-3390");
            GenuineValue = SetCookie.Access(signup).Value.ToString();
            Genuine = new JsonWebToken(GenuineValue);
        }

        public ValueTask DisposeAsync() => shared.DisposeAsync();
    }

    private Dictionary<string, object> Header(Action<Dictionary<string, object>>? change = null)
    {
        var header = new Dictionary<string, object> { ["alg"] = "HS256", ["typ"] = "at+jwt", ["kid"] = Genuine.Kid };
        change?.Invoke(header);
        return header;
    }

    private Dictionary<string, object> Payload(Action<Dictionary<string, object>>? change = null)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var payload = new Dictionary<string, object>
        {
            ["sub"] = Genuine.Subject, ["email"] = "target@example.com", ["jti"] = Guid.NewGuid().ToString("N"), ["sid"] = Genuine.GetPayloadValue<string>("sid"),
            ["iss"] = Genuine.Issuer, ["aud"] = Genuine.Audiences.Single(), ["iat"] = now, ["nbf"] = now, ["exp"] = now + 600,
        };
        change?.Invoke(payload);
        return payload;
    }

    private string Sign(Dictionary<string, object> header, Dictionary<string, object> payload, byte[]? withKey = null) =>
        AccessTokensTests.Craft(withKey ?? target.Key, header, payload);

    private static string B64(string json) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(json));

    private async Task AssertRejectedAsync(string token)
    {
        await ResponseAssert.ProblemAsync(await Api.VerifyAsync($"auth={token}"), HttpStatusCode.Unauthorized);
        await ResponseAssert.ProblemAsync(await Api.VerifyAsync(bearer: token), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ControlTokensCraftedWithTheRealKeyAreAccepted()
    {
        // Proves the crafting is right, so each rejection below is for the one thing changed.
        Assert.Equal(HttpStatusCode.OK, (await Api.VerifyAsync(bearer: Sign(Header(), Payload()))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Api.VerifyAsync(bearer: GenuineValue)).StatusCode);
    }

    [Fact]
    public Task AlgNoneIsRejected() =>
        AssertRejectedAsync(B64("""{"alg":"none","typ":"at+jwt"}""") + "." + B64($$"""{"sub":"{{Genuine.Subject}}","email":"target@example.com","jti":"x","iss":"{{Genuine.Issuer}}","aud":"{{Genuine.Audiences.Single()}}","exp":{{DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 600}}}""") + ".");

    [Fact]
    public Task OtherKeyIsRejected() => AssertRejectedAsync(Sign(Header(), Payload(), RandomNumberGenerator.GetBytes(32)));

    [Fact]
    public Task HeaderTamperingIsRejected()
    {
        var parts = GenuineValue.Split('.');
        return AssertRejectedAsync(B64("""{"alg":"HS256","typ":"at+jwt","kid":"other"}""") + "." + parts[1] + "." + parts[2]);
    }

    [Fact]
    public Task PayloadTamperingIsRejected()
    {
        var parts = GenuineValue.Split('.');
        var payload = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(parts[1])).Replace("target@example.com", "admin@example.com", StringComparison.Ordinal);
        return AssertRejectedAsync(parts[0] + "." + B64(payload) + "." + parts[2]);
    }

    [Fact]
    public Task SignatureTamperingIsRejected()
    {
        var signature = Base64UrlEncoder.DecodeBytes(GenuineValue.Split('.')[2]);
        signature[0] ^= 1;
        return AssertRejectedAsync(GenuineValue[..GenuineValue.LastIndexOf('.')] + "." + Base64UrlEncoder.Encode(signature));
    }

    [Fact]
    public Task ExpiredIsRejected() => AssertRejectedAsync(Sign(Header(), Payload(p => { p["exp"] = DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds(); p["nbf"] = p["iat"] = DateTimeOffset.UtcNow.AddMinutes(-40).ToUnixTimeSeconds(); })));

    [Fact]
    public Task NotYetValidIsRejected() => AssertRejectedAsync(Sign(Header(), Payload(p => p["nbf"] = DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds())));

    [Fact]
    public Task WrongIssuerIsRejected() => AssertRejectedAsync(Sign(Header(), Payload(p => p["iss"] = "https://evil.test")));

    [Fact]
    public Task WrongAudienceIsRejected() => AssertRejectedAsync(Sign(Header(), Payload(p => p["aud"] = "https://other.test")));

    [Fact]
    public Task MissingExpIsRejected() => AssertRejectedAsync(Sign(Header(), Payload(p => p.Remove("exp"))));

    [Fact]
    public Task MissingSubjectIsRejected() => AssertRejectedAsync(Sign(Header(), Payload(p => p.Remove("sub"))));

    [Fact]
    public Task UnknownKidIsRejected() => AssertRejectedAsync(Sign(Header(h => h["kid"] = "retired-key"), Payload()));

    [Fact]
    public Task MissingKidIsRejected() => AssertRejectedAsync(Sign(Header(h => h.Remove("kid")), Payload()));

    [Theory]
    [InlineData("../../../../etc/passwd")]
    [InlineData("/dev/null")]
    [InlineData("' OR '1'='1")]
    [InlineData("..\\..\\windows\\win.ini")]
    [InlineData("")]
    public Task KidInjectionStringsAreRejected(string kid) => AssertRejectedAsync(Sign(Header(h => h["kid"] = kid), Payload()));

    [Fact]
    public async Task JkuAndX5uHeadersAreIgnoredNotFetched()
    {
        // Signed with an attacker key advertised through jku/x5u: must not validate (nothing is fetched).
        var attackerKey = RandomNumberGenerator.GetBytes(32);
        await AssertRejectedAsync(Sign(Header(h => { h["jku"] = "http://127.0.0.1:9/jwks.json"; h["kid"] = "attacker"; }), Payload(), attackerKey));
        await AssertRejectedAsync(Sign(Header(h => h["x5u"] = "http://127.0.0.1:9/cert.pem"), Payload(), attackerKey));
        // With the real key the extra headers change nothing: they are simply not used.
        Assert.Equal(HttpStatusCode.OK, (await Api.VerifyAsync(bearer: Sign(Header(h => h["jku"] = "http://127.0.0.1:9/jwks.json"), Payload()))).StatusCode);
    }

    [Theory]
    [InlineData("JWT")]
    [InlineData("jwt")]
    [InlineData("id_token+jwt")]
    [InlineData(null)]
    public Task WrongOrMissingTypIsRejected(string? typ) =>
        AssertRejectedAsync(Sign(Header(h => { if (typ is null) { h.Remove("typ"); } else { h["typ"] = typ; } }), Payload()));

    [Theory]
    [InlineData("HS384")]
    [InlineData("HS512")]
    [InlineData("RS256")]
    public Task OtherAlgorithmsAreRejected(string alg) => AssertRejectedAsync(Sign(Header(h => h["alg"] = alg), Payload()));

    [Fact]
    public Task OversizedTokenIsRejected() => AssertRejectedAsync(Sign(Header(), Payload(p => p["pad"] = new string('a', 9000))));

    [Theory]
    [InlineData("garbage")]
    [InlineData("a.b")]
    [InlineData("a.b.c.d.e")]
    [InlineData("...")]
    [InlineData("eyJhbGciOiJIUzI1NiJ9")]
    [InlineData("%00%01")]
    public Task GarbageIsRejected(string token) => AssertRejectedAsync(token);

    [Fact]
    public Task TruncatedTokenIsRejected() => AssertRejectedAsync(GenuineValue[..^5]);

    [Fact]
    public async Task CookieAndBearerDisagreeingUsesTheBearer()
    {
        var other = Sign(Header(), Payload(p => p["email"] = "other@example.com"));

        var response = await ResponseAssert.JsonAsync(await Api.VerifyAsync($"auth={GenuineValue}", other), HttpStatusCode.OK);

        Assert.Equal("other@example.com", response.GetProperty("email").GetString());
    }
}
