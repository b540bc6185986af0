using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;
using Serverless.Auth.Secrets;

namespace Serverless.Auth.Mfa;

/// <summary>
/// A TOTP secret at rest: AES-256-GCM under a key derived from the server key (<c>Auth__Secrets__ServerKey</c>, its
/// rotation form: sealed with the newest key, opened with whichever key id the value names), with the account's user
/// id as associated data, so a sealed value copied onto another account does not open. Stored as
/// <c>v1.&lt;key id&gt;.&lt;nonce&gt;.&lt;ciphertext+tag&gt;</c> (base64url).
/// </summary>
internal sealed class TotpSecretBox(ServerKey serverKey)
{
    private const string Version = "v1";
    private const int NonceBytes = 12;
    private const int TagBytes = 16;
    private static readonly byte[] Purpose = "totp-secret-v1"u8.ToArray();

    public string Seal(string userId, byte[] secret)
    {
        var key = serverKey.Keys[0];
        var nonce = RandomNumberGenerator.GetBytes(NonceBytes);
        var sealedBytes = new byte[secret.Length + TagBytes];
        using var aes = new AesGcm(ServerKey.Derive(key, Purpose, []), TagBytes);
        aes.Encrypt(nonce, secret, sealedBytes.AsSpan(0, secret.Length), sealedBytes.AsSpan(secret.Length), Encoding.UTF8.GetBytes(userId));
        return string.Join('.', Version, key.Id, Base64UrlEncoder.Encode(nonce), Base64UrlEncoder.Encode(sealedBytes));
    }

    /// <summary>The secret, or null when the value is malformed, tampered with, of another account or under a key no longer configured.</summary>
    public byte[]? Open(string userId, string sealedValue)
    {
        var parts = sealedValue.Split('.');
        if (parts.Length != 4 || parts[0] != Version || serverKey.Keys.FirstOrDefault(k => k.Id == parts[1]) is not { } key)
        {
            return null;
        }

        try
        {
            var nonce = Base64UrlEncoder.DecodeBytes(parts[2]);
            var sealedBytes = Base64UrlEncoder.DecodeBytes(parts[3]);
            if (nonce.Length != NonceBytes || sealedBytes.Length <= TagBytes)
            {
                return null;
            }

            var secret = new byte[sealedBytes.Length - TagBytes];
            using var aes = new AesGcm(ServerKey.Derive(key, Purpose, []), TagBytes);
            aes.Decrypt(nonce, sealedBytes.AsSpan(0, secret.Length), sealedBytes.AsSpan(secret.Length), secret, Encoding.UTF8.GetBytes(userId));
            return secret;
        }
        catch (Exception e) when (e is CryptographicException or FormatException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Sealed under an older key: re-seal it with the newest when the account is next written.</summary>
    public bool IsUnderOlderKey(string sealedValue) => sealedValue.Split('.') is [_, var keyId, ..] && keyId != serverKey.Keys[0].Id;
}
