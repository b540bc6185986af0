using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace Serverless.Auth.Secrets;

/// <summary>A named secret key: the id travels with what it signs, the bytes never leave the process.</summary>
internal sealed record RingKey(string Id, byte[] Bytes);

/// <summary>
/// The rotation form shared by every secret-key setting: <c>id:base64key</c> entries separated by
/// <c>;</c>, newest first (the first is used, all are accepted). A bare <c>base64key</c> keeps an id
/// derived from it, so a single key can be moved into the list as is.
/// </summary>
internal static class KeyRing
{
    public const int MinimumKeyBytes = 32;

    public static bool TryParse(string value, string setting, out List<RingKey> keys, out string error)
    {
        keys = [];
        if (UnresolvedKeyVaultReferences.IsUnresolved(value))
        {
            error = UnresolvedKeyVaultReferences.Message(setting);
            return false;
        }

        foreach (var entry in value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // base64 has no ':', so the first one separates the id.
            var separator = entry.IndexOf(':', StringComparison.Ordinal);
            if (!TryDecodeKey(entry[(separator + 1)..], out var bytes)
                || (separator >= 0 && !IsValidKeyId(entry[..separator])))
            {
                error = $"{setting} must be 'id:base64key' (or a bare 'base64key', id derived from it) entries separated by ';', newest first; ids of 1-64 letters, digits, '-' or '_'; each key at least {MinimumKeyBytes} bytes.";
                return false;
            }

            if (LowEntropyMessage(bytes, setting) is { } weak)
            {
                error = weak;
                return false;
            }

            var id = separator >= 0 ? entry[..separator] : DeriveKeyId(bytes);
            if (keys.Any(k => k.Id == id))
            {
                error = $"{setting} lists the key id '{id}' twice.";
                return false;
            }

            keys.Add(new RingKey(id, bytes));
        }

        error = keys.Count == 0 ? $"{setting} holds no key." : "";
        return keys.Count > 0;
    }

    /// <summary>The single-key form (<c>Auth__Jwt__SigningKey</c>): one bare base64 key, its id derived from it.</summary>
    public static bool TryParseSingle(string value, string setting, out RingKey key, out string error)
    {
        key = null!;
        if (UnresolvedKeyVaultReferences.IsUnresolved(value))
        {
            error = UnresolvedKeyVaultReferences.Message(setting);
            return false;
        }

        if (!TryDecodeKey(value, out var bytes))
        {
            error = $"{setting} must be base64 of at least {MinimumKeyBytes} random bytes (openssl rand -base64 32).";
            return false;
        }

        error = LowEntropyMessage(bytes, setting) ?? "";
        key = new RingKey(DeriveKeyId(bytes), bytes);
        return error.Length == 0;
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

    /// <summary>The published sample keys of local.settings.sample.json decode to "LOCAL-ONLY-...".</summary>
    public static bool IsLocalOnlySample(byte[] key) => key.AsSpan().StartsWith("LOCAL-ONLY"u8);

    /// <summary>
    /// A key typed or generated badly rather than drawn at random: one byte repeated, a pattern of at
    /// most half the key repeated ("abcabc..."), or fewer than 8 distinct byte values (32 random bytes
    /// have about 30; the odds of fewer than 8 are below 2^-100). Null when the key looks random enough.
    /// </summary>
    public static string? LowEntropyMessage(byte[] key, string setting)
    {
        var repeats = Enumerable.Range(1, key.Length / 2).Any(period => key.AsSpan(period).SequenceEqual(key.AsSpan(0, key.Length - period)));
        return repeats || key.Distinct().Count() < MinimumDistinctBytes
            ? $"{setting} holds a low-entropy key (one byte or a short pattern repeated, or fewer than {MinimumDistinctBytes} distinct bytes): use {MinimumKeyBytes}+ random bytes (openssl rand -base64 32)."
            : null;
    }

    private const int MinimumDistinctBytes = 8;

    // The id names the key without revealing it: a truncated SHA-256 of the key bytes.
    public static string DeriveKeyId(byte[] key) => Base64UrlEncoder.Encode(SHA256.HashData(key))[..16];

    private static bool IsValidKeyId(string id) =>
        id.Length is >= 1 and <= 64 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
