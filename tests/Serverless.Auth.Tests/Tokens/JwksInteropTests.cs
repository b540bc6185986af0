using System.Net;
using System.Text.Json;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Tokens;

/// <summary>
/// Two verifiers nobody here wrote check our ES256 tokens with keys they fetch from us: ASP.NET Core's
/// JwtBearer (pointed at our issuer as authority) and Node's jose (createRemoteJWKSet + jwtVerify).
/// Each accepts a token from login and refuses a tampered one, one from another issuer and one signed by
/// a key no longer published.
/// </summary>
public sealed class JwksInteropTests(AzuriteFixture azurite)
{
    private static readonly string VerifyScript = RepoPaths.Combine("tests", "interop", "verify.mjs");

    [Fact]
    public async Task AspNetCoreJwtBearerAcceptsOurTokensAndRefusesBadOnes()
    {
        var server = new Es256Api(azurite);
        var oldKey = Es256Api.NewPem();
        string retiredToken;
        await using (var api = await server.StartAsync(oldKey))
        {
            var token = (await Es256Api.SignedInAsync(api)).Access!;
            await using var verifier = await BearerApi.StartAsync(server.Issuer, Es256Api.Audience);

            var accepted = await verifier.CallAsync(token);
            Assert.Equal(HttpStatusCode.OK, accepted.Status);
            Assert.Equal(new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(token).Subject, accepted.Body);
            Assert.Equal(HttpStatusCode.Unauthorized, (await verifier.CallAsync(TokenForgery.Tampered(token))).Status);
            Assert.Equal(HttpStatusCode.Unauthorized, (await verifier.CallAsync(TokenForgery.FromAnotherIssuer(token, oldKey, "https://other.example/api/auth"))).Status);
            retiredToken = token;
        }

        // The key is rotated out: a fresh verifier (an empty cache) knows only the new one.
        await using (var api = await server.StartAsync(Es256Api.NewPem()))
        {
            var current = (await Es256Api.SignedInAsync(api)).Access!;
            await using var verifier = await BearerApi.StartAsync(server.Issuer, Es256Api.Audience);

            Assert.Equal(HttpStatusCode.OK, (await verifier.CallAsync(current)).Status);
            Assert.Equal(HttpStatusCode.Unauthorized, (await verifier.CallAsync(retiredToken)).Status);
        }
    }

    [Fact]
    public async Task NodeJoseAcceptsOurTokensAndRefusesBadOnes()
    {
        var server = new Es256Api(azurite);
        var oldKey = Es256Api.NewPem();
        string retiredToken;
        await using (var api = await server.StartAsync(oldKey))
        {
            var token = (await Es256Api.SignedInAsync(api)).Access!;
            var results = await JoseAsync(server, new()
            {
                ["login"] = token,
                ["tampered"] = TokenForgery.Tampered(token),
                ["otherIssuer"] = TokenForgery.FromAnotherIssuer(token, oldKey, "https://other.example/api/auth"),
            });

            Assert.Equal("valid:" + new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(token).Subject, results["login"]);
            Assert.Equal("ERR_JWS_SIGNATURE_VERIFICATION_FAILED", results["tampered"]);
            Assert.Equal("ERR_JWT_CLAIM_VALIDATION_FAILED", results["otherIssuer"]);
            retiredToken = token;
        }

        await using (var api = await server.StartAsync(Es256Api.NewPem()))
        {
            var current = (await Es256Api.SignedInAsync(api)).Access!;
            var results = await JoseAsync(server, new() { ["current"] = current, ["retired"] = retiredToken });

            Assert.StartsWith("valid:", results["current"], StringComparison.Ordinal);
            Assert.Equal("ERR_JWKS_NO_MATCHING_KEY", results["retired"]);
        }
    }

    private static async Task<Dictionary<string, string>> JoseAsync(Es256Api server, Dictionary<string, string> tokens)
    {
        var run = await Command.RunAsync("node", [VerifyScript, server.JwksUrl, server.Issuer, Es256Api.Audience], TimeSpan.FromSeconds(60),
            standardInput: JsonSerializer.Serialize(tokens), workingDirectory: RepoPaths.Root);
        Assert.True(run.ExitCode == 0, $"node verify.mjs failed ({run.ExitCode}): {run.StandardError}");
        return JsonSerializer.Deserialize<Dictionary<string, string>>(run.StandardOutput)!;
    }
}
