using Microsoft.Extensions.Logging;
using Serverless.Auth.Accounts;
using Serverless.Auth.Passwords;
using Serverless.Auth.Sessions;
using Serverless.Auth.Throttling;

namespace Serverless.Auth.Email;

internal abstract record EmailChangeResult
{
    public sealed record Changed(UserAccount Account) : EmailChangeResult;
    /// <summary>Unknown, expired, used or superseded, or voided by a password change since.</summary>
    public sealed record InvalidToken : EmailChangeResult;
    /// <summary>Another account has the new address by now.</summary>
    public sealed record Taken : EmailChangeResult;
}

/// <summary>A confirmed address: <paramref name="Created"/> when the link was a pending registration's, which created the account.</summary>
internal sealed record EmailConfirmation(UserAccount Account, bool Created)
{
    /// <summary>The address (one a provider gave without vouching for it) is another account's by now: nothing changed.</summary>
    public bool Taken { get; init; }
}

internal abstract record PasswordResetResult
{
    public sealed record Reset(UserAccount Account) : PasswordResetResult;
    public sealed record InvalidToken : PasswordResetResult;
    public sealed record InvalidPassword(Dictionary<string, string[]> Errors) : PasswordResetResult;
}

/// <summary>
/// Using the links from the mails. A token is good once: the account row is written with the ETag it
/// was read with, so of two concurrent uses exactly one wins, and the spent token no longer matches.
/// </summary>
internal sealed partial class MailLinks(
    MailTokenStore tokens,
    PendingRegistrations registrations,
    UserRepository users,
    SessionService sessions,
    PasswordPolicy policy,
    PasswordHasher hasher,
    LoginThrottle throttle,
    TimeProvider time,
    ILogger<MailLinks> logger)
{
    private const int MaxAttempts = 3;

    /// <summary>
    /// The confirmed account, or null for an unknown, expired or used token. A pending registration's link
    /// creates its account here; an account's own link (also one the previous release mailed) confirms it.
    /// </summary>
    public async Task<EmailConfirmation?> ConfirmAsync(string token, CancellationToken cancellationToken)
    {
        var found = await FindAsync(token, cancellationToken);
        if (found is { Kind: MailKind.Registration })
        {
            return await registrations.CompleteAsync(found, cancellationToken) is { } created ? new EmailConfirmation(created, Created: true) : null;
        }

        if (found is not { Kind: MailKind.Confirm or MailKind.ClaimEmail } stored)
        {
            return null;
        }

        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            if (await OwnerAsync(stored, cancellationToken) is not { EmailConfirmed: false } account)
            {
                return null;
            }

            // An address a provider gave without vouching for it is claimed now, if it is still free.
            if (!account.EmailClaimed && !await users.TryClaimEmailAsync(account.Email, account.UserId, cancellationToken))
            {
                return new EmailConfirmation(account, Created: false) { Taken = true };
            }

            if (await users.TryConfirmEmailAsync(account, cancellationToken))
            {
                // The owner has proven the address: failures counted against it before (by anyone) are cleared.
                await throttle.ResetAsync(ThrottleKey.Account(account.Email), cancellationToken);
                await tokens.DeleteAsync(stored.TokenHash, cancellationToken);
                LogConfirmed(logger, account.UserId);
                return new EmailConfirmation(account with { EmailConfirmed = true }, Created: false);
            }
        }

        return null;
    }

    /// <summary>
    /// Sets the new password and signs out everywhere. The sign-out runs before the password write as
    /// well as after: should anything fail after the write, no session from before the reset survives
    /// with the link already spent.
    /// </summary>
    public async Task<PasswordResetResult> ResetPasswordAsync(string token, string newPassword, CancellationToken cancellationToken)
    {
        if (await FindAsync(token, cancellationToken) is not { Kind: MailKind.Reset } stored
            || await CurrentLinkOwnerAsync(stored, cancellationToken) is not { } account)
        {
            return new PasswordResetResult.InvalidToken();
        }

        if (policy.Check(newPassword, account.Email) is { } problem)
        {
            return new PasswordResetResult.InvalidPassword(new() { ["newPassword"] = [problem] });
        }

        var passwordHash = await hasher.HashAsync(newPassword, cancellationToken);
        await sessions.EndAllAsync(account.UserId, cancellationToken);
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            if (await users.TryResetPasswordAsync(account, passwordHash, cancellationToken))
            {
                await sessions.EndAllAsync(account.UserId, cancellationToken);
                await throttle.ResetAsync(ThrottleKey.Account(account.Email), cancellationToken);
                await tokens.DeleteAsync(stored.TokenHash, cancellationToken);
                LogPasswordReset(logger, account.UserId);
                return new PasswordResetResult.Reset(account);
            }

            // Someone else wrote the account: still this token's turn only if the reset stamp still matches.
            if (await CurrentLinkOwnerAsync(stored, cancellationToken) is not { } reread)
            {
                return new PasswordResetResult.InvalidToken();
            }

            account = reread;
        }

        return new PasswordResetResult.InvalidToken();
    }

    private async Task<MailToken?> FindAsync(string token, CancellationToken cancellationToken) =>
        MailRequest.IsWellFormed(token)
        && await tokens.FindAsync(MailRequest.HashOf(token), cancellationToken) is { } stored
        && time.GetUtcNow() < stored.ExpiresAt
            ? stored
            : null;

    /// <summary>
    /// The account the token was made for, in its own row (moved there first if the previous release stored it); null
    /// when it was deleted. A confirmation or reset link works only while the account still has the address it was mailed
    /// to: after an email change it is void (that address may be someone else's by then).
    /// </summary>
    private async Task<UserAccount?> OwnerAsync(MailToken stored, CancellationToken cancellationToken)
    {
        var account = await users.FindByIdAsync(stored.UserId, stored.Email, cancellationToken);
        // A disabled account's links stop working (an enabled one's work again, while they have not expired).
        if (account is null || account.Disabled || (stored.Kind is MailKind.Confirm or MailKind.ClaimEmail or MailKind.Reset && account.Email != stored.Email))
        {
            return null;
        }

        return account.Layout == AccountLayout.Current ? account : await users.EnsureCurrentAsync(account, cancellationToken);
    }

    /// <summary>The owner, while this token is still the newest link of its kind and unused.</summary>
    private async Task<UserAccount?> CurrentLinkOwnerAsync(MailToken stored, CancellationToken cancellationToken) =>
        await OwnerAsync(stored, cancellationToken) is { } account && account.StampOf(stored.Kind)?.TokenHash == stored.TokenHash ? account : null;

    /// <summary>
    /// Uses an email-change link: the new address's identity is claimed first (if another account has it, nothing
    /// changes: <see cref="EmailChangeResult.Taken"/>), then the account is pointed at it with the ETag it was read
    /// with (of two concurrent uses one wins; a password change or a newer change link since voids this one), then the
    /// old address is freed. Failures counted against the old address move to the new one.
    /// </summary>
    public async Task<EmailChangeResult> ChangeEmailAsync(string token, CancellationToken cancellationToken)
    {
        if (await FindAsync(token, cancellationToken) is not { Kind: MailKind.EmailChange } stored)
        {
            return new EmailChangeResult.InvalidToken();
        }

        var claimed = false;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            if (await CurrentLinkOwnerAsync(stored, cancellationToken) is not { } account)
            {
                if (claimed)
                {
                    // Claimed for a change that cannot happen now: free the address again (unless a concurrent use of this link made it the account's).
                    await users.ReleaseEmailAsync(stored.Email, stored.UserId, cancellationToken);
                }

                return new EmailChangeResult.InvalidToken();
            }

            // Each attempt claims again: an identity that was absent by the rules when someone else needed the address may be gone.
            if (!await users.TryClaimEmailAsync(stored.Email, account.UserId, cancellationToken))
            {
                return new EmailChangeResult.Taken();
            }

            claimed = true;
            if (await users.TryChangeEmailAsync(account, stored.Email, cancellationToken))
            {
                await users.ReleaseEmailAsync(account.Email, account.UserId, cancellationToken);
                await throttle.CopyAsync(ThrottleKey.Account(account.Email), ThrottleKey.Account(stored.Email), cancellationToken);
                await tokens.DeleteAsync(stored.TokenHash, cancellationToken);
                LogEmailChanged(logger, account.UserId);
                return new EmailChangeResult.Changed(account with { Email = stored.Email, EmailConfirmed = true });
            }
        }

        return new EmailChangeResult.InvalidToken();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "User {UserId} confirmed their email address")]
    private static partial void LogConfirmed(ILogger logger, string userId);

    [LoggerMessage(Level = LogLevel.Information, Message = "User {UserId} changed their email address")]
    private static partial void LogEmailChanged(ILogger logger, string userId);

    [LoggerMessage(Level = LogLevel.Information, Message = "User {UserId} reset their password; every session ended")]
    private static partial void LogPasswordReset(ILogger logger, string userId);
}
