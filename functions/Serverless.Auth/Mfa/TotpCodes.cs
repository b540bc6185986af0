using System.Security.Cryptography;
using OtpNet;

namespace Serverless.Auth.Mfa;

/// <summary>
/// RFC 6238 TOTP as authenticator apps compute it: HMAC-SHA1, 6 digits, 30-second steps, a 160-bit random secret.
/// A code matches when it is the code of the current step or of one step either side (clock drift, a code typed as
/// it rolled over). Which step matched is returned, so the caller can refuse that step and every earlier one next time
/// (a code is usable once, also on another instance: the account stores the last accepted step).
/// </summary>
internal static class TotpCodes
{
    public const int Digits = 6;
    public const int StepSeconds = 30;
    public const int SecretBytes = 20;

    // One step either side, never more: each extra step doubles what a guesser's one try covers.
    private static readonly VerificationWindow Window = new(previous: 1, future: 1);

    public static byte[] NewSecret() => RandomNumberGenerator.GetBytes(SecretBytes);

    /// <summary>The secret as authenticator apps take it typed in: base32, no padding.</summary>
    public static string Base32(byte[] secret) => Base32Encoding.ToString(secret).TrimEnd('=');

    /// <summary>The <c>otpauth://</c> URI a QR code carries (the Key Uri Format authenticator apps read).</summary>
    public static string OtpAuthUri(string issuer, string accountName, byte[] secret)
    {
        var label = Uri.EscapeDataString(issuer) + ":" + Uri.EscapeDataString(accountName);
        return $"otpauth://totp/{label}?secret={Base32(secret)}&issuer={Uri.EscapeDataString(issuer)}&algorithm=SHA1&digits={Digits}&period={StepSeconds}";
    }

    /// <summary>
    /// The time step <paramref name="code"/> is the code of, within one step of <paramref name="now"/>; null when it
    /// matches none, or is not exactly six ASCII digits (spaces ignored: apps show "123 456").
    /// </summary>
    public static long? MatchedStep(byte[] secret, string? code, DateTimeOffset now)
    {
        if (Normalize(code) is not { } digits)
        {
            return null;
        }

        var totp = new Totp(secret, StepSeconds, OtpHashMode.Sha1, Digits);
        return totp.VerifyTotp(now.UtcDateTime, digits, out var step, Window) ? step : null;
    }

    /// <summary>The step a time falls in (what <see cref="MatchedStep"/> returns for the current code).</summary>
    public static long StepAt(DateTimeOffset time) => time.ToUnixTimeSeconds() / StepSeconds;

    private static string? Normalize(string? code)
    {
        if (code is null || code.Length > 16)
        {
            return null;
        }

        var digits = code.Replace(" ", "", StringComparison.Ordinal);
        return digits.Length == Digits && digits.All(char.IsAsciiDigit) ? digits : null;
    }
}
