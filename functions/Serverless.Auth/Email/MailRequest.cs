using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.IdentityModel.Tokens;

namespace Serverless.Auth.Email;

/// <summary>What a queued mail is for.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MailKind>))]
public enum MailKind
{
    /// <summary>Confirm the address: carries a confirmation token.</summary>
    Confirm,

    /// <summary>Reset a forgotten password: carries a reset token.</summary>
    Reset,

    /// <summary>Someone tried to sign up with an address that has an account: no token, a link to the forgot-password page.</summary>
    SignupAttempt,

    /// <summary>
    /// A signup while confirmation is required: the token is a pending registration's (the request stored it,
    /// keyed by the token's hash, with the password's Argon2 hash). The sender mails its link while the address
    /// is free, else the <see cref="SignupAttempt"/> notice instead (the link is then never mailed).
    /// </summary>
    Registration,

    /// <summary>
    /// An email change: the link goes to the new address (<see cref="MailRequest.Email"/>) for the account
    /// <see cref="MailRequest.UserId"/>; if the address belongs to another account by then, <see cref="EmailInUse"/> instead.
    /// </summary>
    EmailChange,

    /// <summary>To the current address when a change to <see cref="MailRequest.NewEmail"/> is asked for: no token, points to password reset.</summary>
    EmailChangeNotice,

    /// <summary>Someone tried to change their account's address to this one, which has an account: no token.</summary>
    EmailInUse,

    /// <summary>
    /// A security notice to the account <see cref="MailRequest.UserId"/> (<see cref="MailRequest.Notice"/> says which): a
    /// second factor enabled or disabled, new recovery codes, a recovery code used, the password changed. No token.
    /// </summary>
    SecurityNotice,

    /// <summary>
    /// Confirm an address a social sign-in provider gave without vouching for it, for the account <see cref="MailRequest.UserId"/>
    /// (the address does not find that account: it is not claimed). Its link confirms the address and claims it if it is
    /// still free. A kind of its own, so a release from before it cannot confirm such an account without claiming.
    /// </summary>
    ClaimEmail,
}

/// <summary>What a <see cref="MailKind.SecurityNotice"/> tells the account's owner.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SecurityNotice>))]
public enum SecurityNotice
{
    /// <summary>A TOTP factor was turned on.</summary>
    TotpEnabled,

    /// <summary>The TOTP factor was turned off.</summary>
    TotpDisabled,

    /// <summary>New recovery codes replaced the old ones.</summary>
    RecoveryCodesRegenerated,

    /// <summary>A recovery code signed in (with <see cref="MailRequest.RecoveryCodesLeft"/>).</summary>
    RecoveryCodeUsed,

    /// <summary>The password was changed by the signed-in user.</summary>
    PasswordChanged,

    /// <summary>A passkey was added.</summary>
    PasskeyAdded,

    /// <summary>A passkey was deleted.</summary>
    PasskeyRemoved,
}

internal static class MailKinds
{
    /// <summary>
    /// Kinds that bypass the per-address caps: security notices, which must reach the owner even after an attacker
    /// has used up the address's allowance (through forgot-password requests, say) to change the address unnoticed.
    /// Only a request that proved the password asks for one. Everything else counts (confirm, reset, signup notices,
    /// the change link): that is what keeps an inbox from being flooded through the API.
    /// </summary>
    private static readonly HashSet<MailKind> SecurityNotices = [MailKind.EmailChangeNotice, MailKind.SecurityNotice];

    public static bool CountsTowardAddressCap(this MailKind kind) => !SecurityNotices.Contains(kind);
}

/// <summary>
/// One queued mail. The request that wants the mail only enqueues this (the same work for every
/// address, so timing reveals nothing); the sender looks the account up, stores the token's hash and
/// sends. <see cref="Token"/> is fresh random per request (also for <see cref="MailKind.SignupAttempt"/>,
/// where it is never mailed and only makes a retried message recognisable). Never a password.
/// </summary>
public sealed record MailRequest(MailKind Kind, string Email, string Token, DateTimeOffset RequestedAt)
{
    /// <summary>The account an <see cref="MailKind.EmailChange"/> (its <see cref="Email"/> is the new address) or <see cref="MailKind.EmailChangeNotice"/> is for.</summary>
    public string? UserId { get; init; }

    /// <summary>The address an <see cref="MailKind.EmailChangeNotice"/> names.</summary>
    public string? NewEmail { get; init; }

    /// <summary>What a <see cref="MailKind.SecurityNotice"/> is about.</summary>
    public SecurityNotice? Notice { get; init; }

    /// <summary>For <see cref="SecurityNotice.RecoveryCodeUsed"/>: how many unused recovery codes are left.</summary>
    public int? RecoveryCodesLeft { get; init; }

    /// <summary>256-bit random, base64url (43 characters).</summary>
    internal static string NewToken() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));

    /// <summary>What storage keeps of a token: its SHA-256, base64url. A leaked table reveals no usable token.</summary>
    internal static string HashOf(string token) => Base64UrlEncoder.Encode(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)));

    /// <summary>A well-formed token: exactly what <see cref="NewToken"/> makes (anything else is not worth a storage read).</summary>
    internal static bool IsWellFormed(string? token) =>
        token is { Length: 43 } && token.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    internal string ToJson() => JsonSerializer.Serialize(this, MailJsonContext.Default.MailRequest);

    /// <summary>Null for anything that is not a message of ours (it goes to the poison queue).</summary>
    internal static MailRequest? TryParse(string json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, MailJsonContext.Default.MailRequest) is { Email.Length: > 0 } request
                && Enum.IsDefined(request.Kind) && IsWellFormed(request.Token)
                && (request.Kind != MailKind.SecurityNotice || request.Notice is { } notice && Enum.IsDefined(notice) && request.UserId is { Length: > 0 })
                ? request
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

// Absent optional fields stay out of the message, so the previous release reads its own kinds as before.
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(MailRequest))]
internal sealed partial class MailJsonContext : JsonSerializerContext;
