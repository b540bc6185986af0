using System.Buffers.Text;
using System.Globalization;

namespace Serverless.Auth.Passwords;

/// <summary>
/// An Argon2id hash in the PHC string format used by the reference implementation:
/// <c>$argon2id$v=19$m=19456,t=2,p=1$&lt;salt&gt;$&lt;hash&gt;</c>, base64 without padding.
/// </summary>
internal sealed record PhcHash(Argon2Parameters Parameters, byte[] Salt, byte[] Hash)
{
    private const string Prefix = "$argon2id$v=19$";

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture,
            $"{Prefix}m={Parameters.MemoryKiB},t={Parameters.Iterations},p={Parameters.Parallelism}${Encode(Salt)}${Encode(Hash)}");

    public static bool TryParse(string? value, out PhcHash? result)
    {
        result = null;
        if (value is null || !value.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var parts = value[Prefix.Length..].Split('$');
        if (parts.Length != 3 || !TryParseParameters(parts[0], out var parameters))
        {
            return false;
        }

        var salt = Decode(parts[1]);
        var hash = Decode(parts[2]);
        if (salt is not { Length: >= 8 and <= 64 } || hash is not { Length: >= 16 and <= 64 })
        {
            return false;
        }

        result = new PhcHash(parameters, salt, hash);
        return true;
    }

    private static bool TryParseParameters(string text, out Argon2Parameters parameters)
    {
        parameters = default;
        var fields = text.Split(',');
        if (fields.Length != 3
            || !TryReadField(fields[0], "m=", out var memory)
            || !TryReadField(fields[1], "t=", out var iterations)
            || !TryReadField(fields[2], "p=", out var parallelism)
            || memory < 8 || iterations < 1 || parallelism < 1)
        {
            return false;
        }

        parameters = new Argon2Parameters(memory, iterations, parallelism);
        return true;
    }

    private static bool TryReadField(string field, string name, out int value)
    {
        value = 0;
        return field.StartsWith(name, StringComparison.Ordinal)
            && int.TryParse(field.AsSpan(name.Length), NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static string Encode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=');

    private static byte[]? Decode(string text)
    {
        if (text.Length == 0 || text.Contains('=', StringComparison.Ordinal))
        {
            return null;
        }

        var padded = text.PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '=');
        var buffer = new byte[Base64.GetMaxDecodedFromUtf8Length(padded.Length)];
        return Convert.TryFromBase64String(padded, buffer, out var written) ? buffer[..written] : null;
    }
}
