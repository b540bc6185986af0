using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;
using Serverless.Auth.Secrets;

namespace Serverless.Auth.Tokens;

/// <summary>
/// One ES256 key: its private half signs (when it is a signing key), its public half verifies and is
/// published. <see cref="KeyId"/> is the RFC 7638 JWK thumbprint, so the same key has the same kid on
/// every instance and in every verifier's cache.
/// </summary>
internal sealed record EcSigningKey(string KeyId, ECDsaSecurityKey PrivateKey, ECDsaSecurityKey PublicKey, string X, string Y);

/// <summary>
/// Parses <c>Auth__Jwt__SigningKeysPem</c> / <c>Auth__Jwt__PublishedKeysPem</c>: one or more PKCS#8
/// <c>-----BEGIN PRIVATE KEY-----</c> blocks, concatenated, each an ECDSA P-256 key. Anything else is
/// refused: another curve, RSA (one asymmetric algorithm, ES256, so no RS/PS/ES choice for a token to
/// make), SEC1 / encrypted / public-key blocks, text between blocks, a block that does not decode.
/// </summary>
internal static class EcKeys
{
    public const string SigningSetting = "Auth__Jwt__SigningKeysPem";
    public const string PublishedSetting = "Auth__Jwt__PublishedKeysPem";
    public const string GenerateCommand = "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256";
    private const string PrivateKeyLabel = "PRIVATE KEY";

    public static bool TryParse(string value, string setting, out List<EcSigningKey> keys, out string error)
    {
        keys = [];
        if (UnresolvedKeyVaultReferences.IsUnresolved(value))
        {
            error = UnresolvedKeyVaultReferences.Message(setting);
            return false;
        }

        var rest = value.AsSpan();
        while (!rest.IsWhiteSpace())
        {
            if (!PemEncoding.TryFind(rest, out var fields) || !rest[..fields.Location.Start].IsWhiteSpace())
            {
                error = $"{setting} is not PEM: it must hold only PKCS#8 '-----BEGIN PRIVATE KEY-----' blocks (ES256, P-256: {GenerateCommand}).";
                return false;
            }

            var label = rest[fields.Label].ToString();
            if (label != PrivateKeyLabel)
            {
                error = $"{setting} holds a '{label}' block: only unencrypted PKCS#8 '-----BEGIN PRIVATE KEY-----' blocks are accepted ({GenerateCommand}; convert an 'EC PRIVATE KEY' with openssl pkcs8 -topk8 -nocrypt).";
                return false;
            }

            var der = Convert.FromBase64String(rest[fields.Base64Data].ToString());
            if (!TryImport(der, setting, keys.Count + 1, out var key, out error))
            {
                return false;
            }

            keys.Add(key);
            rest = rest[fields.Location.End..];
        }

        error = keys.Count == 0 ? $"{setting} holds no key." : "";
        return keys.Count > 0;
    }

    private static bool TryImport(byte[] der, string setting, int position, out EcSigningKey key, out string error)
    {
        key = null!;
        var ecdsa = ECDsa.Create();
        int read;
        try
        {
            ecdsa.ImportPkcs8PrivateKey(der, out read);
        }
        catch (CryptographicException)
        {
            ecdsa.Dispose();
            error = IsRsa(der)
                ? $"{setting} key {position} is an RSA key: only ES256 (ECDSA P-256) keys are accepted ({GenerateCommand})."
                : $"{setting} key {position} is not a valid PKCS#8 EC private key ({GenerateCommand}).";
            return false;
        }

        var parameters = ecdsa.ExportParameters(includePrivateParameters: false);
        if (read != der.Length || parameters.Curve.Oid?.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
        {
            ecdsa.Dispose();
            error = read != der.Length
                ? $"{setting} key {position} is not a valid PKCS#8 EC private key ({GenerateCommand})."
                : $"{setting} key {position} is on the curve {parameters.Curve.Oid?.FriendlyName ?? parameters.Curve.Oid?.Value ?? "(unnamed)"}: only P-256 (ES256) is accepted ({GenerateCommand}).";
            return false;
        }

        var x = Base64UrlEncoder.Encode(parameters.Q.X);
        var y = Base64UrlEncoder.Encode(parameters.Q.Y);
        var kid = Thumbprint(x, y);
        // The verifying key holds the public point only: nothing that validates can sign.
        var publicKey = new ECDsaSecurityKey(ECDsa.Create(parameters)) { KeyId = kid };
        key = new EcSigningKey(kid, new ECDsaSecurityKey(ecdsa) { KeyId = kid }, publicKey, x, y);
        error = "";
        return true;
    }

    /// <summary>RFC 7638: SHA-256 of the required members in lexicographic order, no whitespace, base64url.</summary>
    public static string Thumbprint(string x, string y) =>
        Base64UrlEncoder.Encode(SHA256.HashData(Encoding.UTF8.GetBytes($$"""{"crv":"P-256","kty":"EC","x":"{{x}}","y":"{{y}}"}""")));

    private static bool IsRsa(byte[] der)
    {
        using var rsa = RSA.Create();
        try
        {
            rsa.ImportPkcs8PrivateKey(der, out _);
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
