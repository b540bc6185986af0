using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;
using Serverless.Auth.Secrets;

namespace Serverless.Auth.Mfa;

/// <summary>
/// Recovery codes: ten per account, each 10 characters of Crockford's base32 (50 random bits), shown once as
/// <c>xxxxx-xxxxx</c> and stored only as keyed hashes (HMAC under the server key, which a stolen table does not
/// hold, so 50 bits are out of an offline guesser's reach). Typing is forgiving: case, spaces and dashes are ignored,
/// and the letters Crockford folds (i and l to 1, o to 0) are read as the digits they look like.
/// </summary>
internal sealed class RecoveryCodes(ServerKey serverKey)
{
    public const int Count = 10;
    private const int Length = 10;
    private const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz";
    private static readonly byte[] Purpose = "recovery-code-v1"u8.ToArray();

    public static IReadOnlyList<string> Generate()
    {
        var codes = new HashSet<string>(StringComparer.Ordinal);
        while (codes.Count < Count)
        {
            var chars = new char[Length];
            for (var i = 0; i < Length; i++)
            {
                chars[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
            }

            codes.Add(new string(chars, 0, 5) + "-" + new string(chars, 5, 5));
        }

        return [.. codes];
    }

    /// <summary>What is stored for a code: <c>&lt;key id&gt;.&lt;HMAC&gt;</c> under the newest server key.</summary>
    public string Hash(string code)
    {
        var key = serverKey.Keys[0];
        return key.Id + "." + Base64UrlEncoder.Encode(ServerKey.Derive(key, Purpose, System.Text.Encoding.ASCII.GetBytes(Normalize(code) ?? throw new ArgumentException("Not a recovery code.", nameof(code)))));
    }

    /// <summary>The index in <paramref name="storedHashes"/> of the hash <paramref name="presented"/> matches, or null.</summary>
    public int? Find(IReadOnlyList<string> storedHashes, string? presented)
    {
        if (Normalize(presented) is not { } code)
        {
            return null;
        }

        var input = System.Text.Encoding.ASCII.GetBytes(code);
        int? found = null;
        for (var i = 0; i < storedHashes.Count; i++)
        {
            var parts = storedHashes[i].Split('.');
            if (parts.Length == 2 && serverKey.Keys.FirstOrDefault(k => k.Id == parts[0]) is { } key
                && CryptographicOperations.FixedTimeEquals(ServerKey.Derive(key, Purpose, input), Decode(parts[1])))
            {
                found ??= i;
            }
        }

        return found;
    }

    /// <summary>Ten base32 characters, lower case; null when the input cannot be a code.</summary>
    public static string? Normalize(string? input)
    {
        if (input is null || input.Length > 32)
        {
            return null;
        }

        var chars = new List<char>(Length);
        foreach (var c in input)
        {
            if (c is '-' or ' ')
            {
                continue;
            }

            if (!char.IsAscii(c))
            {
                // Before case folding: the Kelvin sign or a dotted capital I would otherwise lower-case into ASCII.
                return null;
            }

            var folded = char.ToLowerInvariant(c) switch
            {
                'i' or 'l' => '1',
                'o' => '0',
                var other => other,
            };
            if (Alphabet.IndexOf(folded, StringComparison.Ordinal) < 0)
            {
                return null;
            }

            chars.Add(folded);
        }

        return chars.Count == Length ? new string([.. chars]) : null;
    }

    private static byte[] Decode(string value)
    {
        try
        {
            return Base64UrlEncoder.DecodeBytes(value);
        }
        catch (FormatException)
        {
            return [];
        }
    }
}
