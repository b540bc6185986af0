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

    /// <summary>How many passkeys it has (their rows are in its partition; written in one transaction with them).</summary>
    public int Passkeys { get; init; }

    /// <summary>Unix milliseconds: a registration challenge issued at or before it is spent (<see cref="Passkeys.PasskeyChallenges"/>).</summary>
    public long PasskeyFloor { get; init; }

    /// <summary>How many provider identities (social sign-in) it has (their link rows are in its partition; written in one transaction with them).</summary>
    public int ProviderIdentities { get; init; }

    /// <summary>
    /// Whether its address's email identity points here (every account but one a provider created with an address it
    /// does not vouch for, until that address is confirmed).
    /// </summary>
    public bool EmailClaimed { get; init; } = true;

    /// <summary>Whether an admin disabled it: no sign-in by any method and no refresh until enabled.</summary>
    public bool Disabled { get; init; }

    /// <summary>When it was created (rows written before this was stored: null).</summary>
    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>Whether anything but the password can sign it in: a passkey or a provider identity.</summary>
    public bool HasOtherSignIn => Passkeys > 0 || ProviderIdentities > 0;

    /// <summary>Whether a password can sign it in (accounts made by other means, such as a social sign-in, may have none).</summary>
    public bool HasPassword => PasswordHash.Length > 0;

    /// <summary>
    /// The second-step methods a sign-in with the password offers (<c>mfa_required</c>'s <c>methods</c>): with an active
    /// TOTP factor, <c>totp</c>, then <c>passkey</c> when it has one, then <c>recovery</c> when codes are left.
    /// </summary>
    public IReadOnlyList<string> SecondStepMethods =>
        !Mfa.TotpEnabled ? []
        : [.. new[] { "totp", Passkeys > 0 ? "passkey" : null, Mfa.RecoveryCodes.Count > 0 ? "recovery" : null }.OfType<string>()];

    /// <summary>Where it was read from; <see cref="ETag"/> is that row's.</summary>
    public AccountLayout Layout { get; init; } = AccountLayout.Current;
}
