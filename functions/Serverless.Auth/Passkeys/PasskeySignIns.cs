using Microsoft.Extensions.Logging;
using Serverless.Auth.Accounts;
using Serverless.Auth.Http;
using Serverless.Auth.Mfa;
using Serverless.Auth.Sessions;

namespace Serverless.Auth.Passkeys;

/// <summary>The outcome of a passkey assertion check.</summary>
internal abstract record PasskeyCheck
{
    /// <param name="Account">The account signed in (as read; its row is written only at the second step).</param>
    /// <param name="Method">RFC 8176: <c>swk</c> for a backup-eligible (synced) passkey, else <c>hwk</c>.</param>
    /// <param name="Started">What the caller's <c>startAlongside</c> started, if it was given.</param>
    public sealed record Accepted(UserAccount Account, PasskeyRecord Passkey, string Method, SignedInBrowser? Started = null) : PasskeyCheck;

    public sealed record Refused(PasskeyRefusal Refusal) : PasskeyCheck;

    /// <summary>The second step no longer applies (its pending sign-in was spent or voided meanwhile).</summary>
    public sealed record Gone : PasskeyCheck;
}

/// <summary>
/// Checks an assertion and spends its challenge: the passkey is found by its credential id (in the partition of the
/// account its user handle or the second step names, else through its identity row), the account and the passkey's
/// row are read at once, the library verifies
/// the answer, the signature counter must move forward (a regression is refused and recorded), and the use is written
/// to the passkey's row with its ETag, raising its challenge floor. Of two answers to one challenge (a replay, two
/// instances at once) one write lands; the other reads the row again and finds the challenge spent.
/// </summary>
internal sealed partial class PasskeySignIns(PasskeyRepository passkeys, UserRepository users, PasskeyCeremony ceremony, ILogger<PasskeySignIns> logger)
{
    private const int MaxAttempts = 4;

    /// <param name="pendingUserId">The second step's account: only its passkeys count; null: any account's (anonymous sign-in).</param>
    /// <param name="spendPending">
    /// The second step: the account's second-factor columns with the pending sign-in spent, written in the same transaction
    /// as the use; null when the pending sign-in no longer applies to the account as read.
    /// </param>
    /// <param name="startAlongside">
    /// Started at the same time as the use is written (the session of an anonymous sign-in: one storage round trip less
    /// in sequence), given the account and the method; undone with <paramref name="undo"/> when the write loses (a replay,
    /// a concurrent use), so nothing it started is ever handed out for a refused answer.
    /// </param>
    public async Task<PasskeyCheck> CheckAsync(
        PasskeyCredential credential, IssuedChallenge challenge, string? pendingUserId, Func<UserAccount, MfaState?>? spendPending, CancellationToken cancellationToken,
        Func<UserAccount, string, Task<SignedInBrowser?>>? startAlongside = null, Func<SignedInBrowser, Task>? undo = null)
    {
        var (credentialId, handleUserId, malformed) = PasskeyCeremony.CredentialIdOf(credential);
        if (credentialId is null)
        {
            return new PasskeyCheck.Refused(malformed!);
        }

        // The passkey's row is keyed by its credential id in its account's partition: the second step's account, or the
        // one the user handle names (a discoverable credential always returns it; the library checks it names the
        // passkey's account), or else the one the credential's identity names. A row found in that partition is that
        // account's passkey: registration writes it there only.
        var owner = pendingUserId ?? handleUserId ?? await passkeys.FindOwnerAsync(credentialId, cancellationToken);
        for (var attempt = 0; owner is not null && attempt < MaxAttempts; attempt++)
        {
            var reading = users.FindByIdAsync(owner, emailHint: null, cancellationToken);
            var passkey = await passkeys.GetAsync(owner, credentialId, cancellationToken);
            if (await reading is not { } account)
            {
                // An account deleted by a release before passkeys (it knew nothing of them) left them behind: gone now.
                await passkeys.RemoveAllAsync(owner, cancellationToken);
                break;
            }

            if (passkey is null)
            {
                break;
            }

            if (challenge.IssuedAt <= passkey.Floor)
            {
                return new PasskeyCheck.Refused(new PasskeyRefusal("This challenge was used already: ask for new options."));
            }

            var (result, backupEligible, refusal) = await ceremony.VerifyAssertionAsync(credential, passkey, challenge, cancellationToken);
            if (result is null)
            {
                return new PasskeyCheck.Refused(refusal!);
            }

            // WebAuthn §7.2 step 21: when either counter is non-zero, the new one must be greater. Otherwise the
            // authenticator may have been cloned: refused, and noted on the passkey's row for the owner and operators.
            if ((result.SignCount > 0 || passkey.SignCount > 0) && result.SignCount <= passkey.SignCount)
            {
                LogCounterRegression(logger, owner, passkey.SignCount, result.SignCount);
                await passkeys.RecordCounterRegressionAsync(passkey, result.SignCount, cancellationToken);
                return new PasskeyCheck.Refused(new PasskeyRefusal("The passkey's signature counter went backwards: it may have been copied. Use another way to sign in."));
            }

            MfaState? spent = null;
            if (spendPending is not null && (spent = spendPending(account)) is null)
            {
                return new PasskeyCheck.Gone();
            }

            var method = backupEligible ? "swk" : "hwk";
            var starting = startAlongside?.Invoke(account, method) ?? Task.FromResult<SignedInBrowser?>(null);
            var recording = passkeys.TryRecordUseAsync(passkey, result.SignCount, result.IsBackedUp, challenge.IssuedAt, spent is null ? null : account, spent, cancellationToken);
            await Task.WhenAll(starting, recording);
            if (await recording)
            {
                return new PasskeyCheck.Accepted(account, passkey, method, await starting);
            }

            if (await starting is { } started && undo is not null)
            {
                await undo(started);
            }
        }

        return new PasskeyCheck.Refused(new PasskeyRefusal("This passkey is not registered for this account (it may have been removed)."));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Passkey of user {UserId} refused: its signature counter went from {Stored} to {Presented}")]
    private static partial void LogCounterRegression(ILogger logger, string userId, uint stored, uint presented);
}
