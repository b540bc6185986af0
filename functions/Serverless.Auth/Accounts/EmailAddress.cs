using System.Net.Mail;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace Serverless.Auth.Accounts;

/// <summary>Email syntax and the normalized form that identifies an account.</summary>
internal static class EmailAddress
{
    /// <summary>RFC 5321 path limit.</summary>
    public const int MaxLength = 254;

    /// <summary>Trimmed, NFC, lower-cased: the account key, so "Ann@X.com " and "ann@x.com" are one account.</summary>
    public static string Normalize(string email) =>
        email.Trim().Normalize(NormalizationForm.FormC).ToLowerInvariant();

    public static bool IsValid(string normalized)
    {
        if (normalized.Length is 0 or > MaxLength || normalized.Any(char.IsControl) || normalized.Any(char.IsWhiteSpace))
        {
            return false;
        }

        var at = normalized.LastIndexOf('@');
        if (at is <= 0 || at > 64 || at == normalized.Length - 1)
        {
            return false;
        }

        // MailAddress accepts display names and comments; require that it parsed to exactly the input.
        return MailAddress.TryCreate(normalized, out var parsed)
            && string.Equals(parsed.Address, normalized, StringComparison.Ordinal)
            && string.IsNullOrEmpty(parsed.DisplayName);
    }

    /// <summary>
    /// Table key for a normalized email. Emails may hold '/', '#', '?' and '\', which Table keys
    /// forbid: base64url keeps every valid address usable, and stays under the 1 KiB key limit.
    /// </summary>
    public static string StorageKey(string normalized) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(normalized));
}
