using System.Net;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;

namespace Serverless.Auth.Tests.Tokens;

/// <summary>
/// docs/security-model.md, "Key rotation" (ES256), step by step against a running instance: publish the new key first,
/// sign with it once the caches' max-age has passed, drop the old one after the longest token lifetime.
/// The resource server keeps its own JWKS cache for exactly the max-age we send (and never refetches early,
/// the strictest cache there is): at no step does it refuse a token of the live session.
/// </summary>
public sealed class KeyRotationWalkthroughTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task RotationNeverBreaksALiveSessionForAVerifierWithItsOwnCache()
    {
        var server = new Es256Api(azurite);
        var oldKey = Es256Api.NewPem();
        var newKey = Es256Api.NewPem();

        // Step 0: the old key signs. The session starts; the verifier fetches the JWKS (cache: old key).
        SessionClient browser;
        string first;
        var verifier = new CachingVerifier(server);
        var early = new CachingVerifier(server);
        await using (var api = await server.StartAsync(oldKey))
        {
            browser = await Es256Api.SignedInAsync(api);
            first = browser.Access!;
            Assert.True(await verifier.AcceptsAsync(first));
            Assert.True(await early.AcceptsAsync(first));
        }

        // Step 1: publish the new key, the old one still signs (SigningKeysPem = old + new).
        string second;
        await using (var api = await server.StartAsync(oldKey + "\n" + newKey))
        {
            browser = browser.CopyTo(api.Client);
            second = await RefreshedAsync(browser);
            verifier.Advance(TimeSpan.FromMinutes(1));
            Assert.True(await verifier.AcceptsAsync(second));
            Assert.True(await verifier.AcceptsAsync(first));
        }

        // Step 2, once the JWKS max-age has passed: the new key signs, the old one still verifies.
        string third;
        await using (var api = await server.StartAsync(newKey + "\n" + oldKey))
        {
            browser = browser.CopyTo(api.Client);
            third = await RefreshedAsync(browser);
            Assert.Equal(new JsonWebToken(third).Kid, CachingVerifier.KidOf(newKey));

            // Why the wait: a cache filled before the new key was published, still within its max-age, would refuse.
            Assert.False(await early.AcceptsAsync(third));

            verifier.Advance(Auth.Tokens.JwksEndpoint.MaxAge);
            Assert.True(await verifier.AcceptsAsync(third));
            Assert.True(await verifier.AcceptsAsync(second));
        }

        // Step 3, after the longest token lifetime (every old-key token has expired): drop the old key.
        await using (var api = await server.StartAsync(newKey))
        {
            browser = browser.CopyTo(api.Client);
            var fourth = await RefreshedAsync(browser);
            verifier.Advance(TimeSpan.FromSeconds(900));
            Assert.True(await verifier.AcceptsAsync(fourth));
            Assert.True(await verifier.AcceptsAsync(third));
            // Only tokens of the dropped key stop verifying: by now they have expired anyway.
            Assert.False(await verifier.AcceptsAsync(second));
            Assert.Equal(HttpStatusCode.OK, (await browser.VerifyAsync()).StatusCode);
        }
    }

    private static async Task<string> RefreshedAsync(SessionClient browser)
    {
        var before = browser.Access;
        Assert.Equal(HttpStatusCode.OK, (await browser.RefreshAsync()).StatusCode);
        Assert.NotEqual(before, browser.Access);
        Assert.Equal(HttpStatusCode.OK, (await browser.VerifyAsync()).StatusCode);
        return browser.Access!;
    }

    /// <summary>
    /// A resource server's JWKS cache: fetched when empty or older than the max-age the response carried,
    /// on a clock of its own (advanced by the test); tokens checked with ES256, issuer and audience pinned.
    /// </summary>
    private sealed class CachingVerifier(Es256Api server)
    {
        private static readonly HttpClient Http = new();
        private TimeSpan now;
        private TimeSpan expires;
        private IList<SecurityKey>? keys;

        public void Advance(TimeSpan by) => now += by;

        public async Task<bool> AcceptsAsync(string token)
        {
            if (keys is null || now >= expires)
            {
                using var response = await Http.GetAsync(server.JwksUrl, TestContext.Current.CancellationToken);
                var maxAge = response.Headers.CacheControl?.MaxAge ?? TimeSpan.Zero;
                keys = new JsonWebKeySet(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).GetSigningKeys();
                expires = now + maxAge;
            }

            var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
            {
                ValidIssuer = server.Issuer,
                ValidAudience = Es256Api.Audience,
                IssuerSigningKeys = keys,
                ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            });
            return result.IsValid;
        }

        public static string KidOf(string pem)
        {
            using var ecdsa = System.Security.Cryptography.ECDsa.Create();
            ecdsa.ImportFromPem(pem);
            return Base64UrlEncoder.Encode(JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(ecdsa)).ComputeJwkThumbprint());
        }
    }
}
