using Azure;
using Serverless.Auth.Email;

namespace Serverless.Auth.Accounts;

/// <summary>The last mail of one kind recorded for an account: the hash of its token, and when.</summary>
internal sealed record MailStamp(string TokenHash, DateTimeOffset At);

/// <summary>Where an account was read from (see <see cref="UserRepository"/>).</summary>
internal enum AccountLayout
{
    /// <summary>Its own row, keyed by user id: the only layout that is written.</summary>
    Current,

    /// <summary>The previous release's row at the email key, not moved yet: read as is, moved before any write.</summary>
    Legacy,

    /// <summary>Half moved: the email key already holds the identity (with the account's data), the account row is not written yet.</summary>
    Moving,
}

internal sealed record UserAccount(string UserId, string Email, string PasswordHash, ETag ETag, bool EmailConfirmed = false)
{
    /// <summary>Per mail kind; the reset stamp's hash is also the only reset token still valid (the same for an email change).</summary>
    public IReadOnlyDictionary<MailKind, MailStamp> MailStamps { get; init; } = new Dictionary<MailKind, MailStamp>();

    public MailStamp? StampOf(MailKind kind) => MailStamps.GetValueOrDefault(kind);

    /// <summary>How many device cookies were issued for the account (each carries its number).</summary>
    public long DevicesIssued { get; init; }

    /// <summary>Device cookies numbered at or below this were voided by a password change or reset.</summary>
    public long DeviceFloor { get; init; }

    /// <summary>Its second factors (none in rows written before they existed).</summary>
    public Mfa.MfaState Mfa { get; init; } = Serverless.Auth.Mfa.MfaState.None;

    /// <summary>Where it was read from; <see cref="ETag"/> is that row's.</summary>
    public AccountLayout Layout { get; init; } = AccountLayout.Current;
}
