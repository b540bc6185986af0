using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace Serverless.Auth.Tokens;

/// <summary>The HMAC keys: the first signs new tokens, every one validates (key rotation).</summary>
internal sealed class SigningKeySet
{
    public const int MinimumKeyBytes = 32;

    private SigningKeySet(IReadOnlyList<SymmetricSecurityKey> keys) => Keys = keys;

    public IReadOnlyList<SymmetricSecurityKey> Keys { get; }

    public SymmetricSecurityKey Current => Keys[0];

    /// <summary>True when a key is the published sample key (its bytes spell "LOCAL-ONLY...").</summary>
    public bool IsLocalOnlySample => Keys.Any(k => k.Key.AsSpan().StartsWith("LOCAL-ONLY"u8));

    public static bool TryCreate(JwtOptions options, [NotNullWhen(true)] out SigningKeySet? keySet, out string error)
    {
        keySet = null;
        var hasSingle = !string.IsNullOrWhiteSpace(options.SigningKey);
        var hasList = !string.IsNullOrWhiteSpace(options.SigningKeys);
        if (hasSingle == hasList)
        {
            error = hasSingle
                ? "Auth__Jwt__SigningKey and Auth__Jwt__SigningKeys are both set: use one (SigningKeys for rotation)."
                : "Auth__Jwt__SigningKey is required: a base64 key of at least 32 random bytes (openssl rand -base64 32).";
            return false;
        }

        var keys = new List<SymmetricSecurityKey>();
        if (hasSingle)
        {
            if (!TryDecodeKey(options.SigningKey!, out var bytes))
            {
                error = "Auth__Jwt__SigningKey must be base64 of at least 32 random bytes (openssl rand -base64 32).";
                return false;
            }

            keys.Add(new SymmetricSecurityKey(bytes) { KeyId = DeriveKeyId(bytes) });
        }
        else
        {
            foreach (var entry in options.SigningKeys!.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                // "id:key", or a bare key that keeps the id derived from it, so the key that was
                // Auth__Jwt__SigningKey can be listed as is and its tokens stay valid (base64 has no ':').
                var separator = entry.IndexOf(':', StringComparison.Ordinal);
                if (!TryDecodeKey(entry[(separator + 1)..], out var bytes)
                    || (separator >= 0 && !IsValidKeyId(entry[..separator])))
                {
                    error = "Auth__Jwt__SigningKeys must be 'id:base64key' (or a bare 'base64key', id derived from it) entries separated by ';', newest first; ids of 1-64 letters, digits, '-' or '_'; each key at least 32 bytes.";
                    return false;
                }

                var id = separator >= 0 ? entry[..separator] : DeriveKeyId(bytes);

                if (keys.Any(k => k.KeyId == id))
                {
                    error = $"Auth__Jwt__SigningKeys lists the key id '{id}' twice.";
                    return false;
                }

                keys.Add(new SymmetricSecurityKey(bytes) { KeyId = id });
            }
        }

        keySet = new SigningKeySet(keys);
        error = "";
        return true;
    }

    private static bool TryDecodeKey(string base64, out byte[] bytes)
    {
        bytes = [];
        var buffer = new byte[base64.Length];
        if (!Convert.TryFromBase64String(base64.Trim(), buffer, out var written) || written < MinimumKeyBytes)
        {
            return false;
        }

        bytes = buffer[..written];
        return true;
    }

    // The id names the key without revealing it: a truncated SHA-256 of the key bytes.
    private static string DeriveKeyId(byte[] key) => Base64UrlEncoder.Encode(SHA256.HashData(key))[..16];

    private static bool IsValidKeyId(string id) =>
        id.Length is >= 1 and <= 64 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
