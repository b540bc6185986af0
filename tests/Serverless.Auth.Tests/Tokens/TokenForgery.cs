using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Serverless.Auth.Tests.Tokens;

/// <summary>Bad tokens built from a good one: for showing that independent verifiers refuse them.</summary>
internal static class TokenForgery
{
    /// <summary>The payload changed (another email), header and signature kept.</summary>
    public static string Tampered(string token)
    {
        var parts = token.Split('.');
        var payload = JsonNode.Parse(Base64UrlEncoder.Decode(parts[1]))!;
        payload["email"] = "mallory@example.com";
        return $"{parts[0]}.{Base64UrlEncoder.Encode(payload.ToJsonString())}.{parts[2]}";
    }

    /// <summary>Signed with our real key (kid and all), but claiming another issuer.</summary>
    public static string FromAnotherIssuer(string token, string signingPem, string issuer)
    {
        var like = new JsonWebToken(token);
        var ecdsa = ECDsa.Create();
        ecdsa.ImportFromPem(signingPem);
        var payload = JsonNode.Parse(Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(token.Split('.')[1])))!.AsObject();
        payload["iss"] = issuer;
        return new JsonWebTokenHandler().CreateToken(payload.ToJsonString(), new SigningCredentials(new ECDsaSecurityKey(ecdsa) { KeyId = like.Kid }, SecurityAlgorithms.EcdsaSha256));
    }
}
