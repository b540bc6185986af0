using Microsoft.Extensions.Logging;
using Serverless.Auth.Accounts;
using Serverless.Auth.Throttling;

namespace Serverless.Auth.Mfa;

/// <summary>The outcome of a second-factor check.</summary>
internal abstract record SecondFactorCheck
{
    /// <param name="Account">The account as written (its code or recovery code spent).</param>
    /// <param name="Method">"otp" or "rcv" (RFC 8176 for the first; a local value for a recovery code).</param>
    /// <param name="Reservation">The check's place in the counter: the caller clears it once the answer is used (<see cref="SecondFactor.ClearAsync"/>).</param>
    public sealed record Accepted(UserAccount Account, string Method, Reservation Reservation) : SecondFactorCheck;

    /// <summary>A wrong, reused or malformed code (already counted).</summary>
    public sealed record Rejected(string Field) : SecondFactorCheck;

    public sealed record Throttled(TimeSpan RetryAfter) : SecondFactorCheck;

    /// <summary>The account vanished or lost its factor meanwhile.</summary>
    public sealed record Gone : SecondFactorCheck;
}

/// <summary>What a request offers as its second factor: a TOTP code or a recovery code.</summary>
public interface ISecondFactorAnswer
{
    /// <summary>A 6-digit TOTP code.</summary>
    string? Code { get; }

    /// <summary>A recovery code, instead of a code.</summary>
    string? RecoveryCode { get; }
}

/// <summary>
/// Checks a TOTP code or a recovery code for an account. Every check is reserved in the account's second-factor counter
/// before its outcome is used (a burst on any number of instances reveals at most the free failures' outcomes), and an
/// accepted one is spent with an ETag write of the account row: the code's time step becomes the last accepted (the
/// same code or an earlier one is refused next, on every instance), a recovery code leaves the list. Of two requests
/// spending the same code at once exactly one wins; the loser is read again and checked against what the winner wrote.
/// </summary>
internal sealed partial class SecondFactor(
    UserRepository users, LoginThrottle throttle, TotpSecretBox secrets, RecoveryCodes recoveryCodes, TimeProvider time, ILogger<SecondFactor> logger)
{
    private const int MaxWriteAttempts = 4;

    /// <param name="secretOf">Which sealed secret a code is checked against: the active one, or the pending one (enabling).</param>
    /// <param name="alsoWrite">Further changes written in the same conditional write as the spent code (a pending sign-in spent).</param>
    /// <param name="stillApplies">Checked against the row as read again after a lost write (a pending sign-in spent meanwhile): false ends the check as <see cref="SecondFactorCheck.Gone"/>.</param>
    public async Task<SecondFactorCheck> CheckAsync(
        UserAccount account, ISecondFactorAnswer answer, Func<MfaState, string> secretOf, Func<MfaState, MfaState>? alsoWrite, CancellationToken cancellationToken,
        Func<UserAccount, bool>? stillApplies = null)
    {
        var reservation = await ReserveAsync(account.UserId, cancellationToken);
        if (!reservation.Granted)
        {
            LogThrottled(logger, account.UserId);
            return new SecondFactorCheck.Throttled(reservation.RetryAfter);
        }

        var useRecovery = string.IsNullOrEmpty(answer.Code) && !string.IsNullOrEmpty(answer.RecoveryCode);
        var field = useRecovery ? "recoveryCode" : "code";
        for (var attempt = 0; attempt < MaxWriteAttempts; attempt++)
        {
            var state = account.Mfa;
            MfaState? spent;
            if (useRecovery)
            {
                spent = recoveryCodes.Find(state.RecoveryCodes, answer.RecoveryCode) is { } index
                    ? state with { RecoveryCodes = [.. state.RecoveryCodes.Where((_, i) => i != index)] }
                    : null;
            }
            else
            {
                var sealedSecret = secretOf(state);
                var secret = sealedSecret.Length > 0 ? secrets.Open(account.UserId, sealedSecret) : null;
                if (secret is null)
                {
                    return new SecondFactorCheck.Gone();
                }

                // Strictly after the last accepted step: the same code again, or an older one, is a replay.
                spent = TotpCodes.MatchedStep(secret, answer.Code, time.GetUtcNow()) is { } step && step > state.TotpLastStep
                    ? state with { TotpLastStep = step }
                    : null;
            }

            if (spent is null)
            {
                LogRejected(logger, account.UserId);
                return new SecondFactorCheck.Rejected(field);
            }

            if (alsoWrite is not null)
            {
                spent = alsoWrite(spent);
            }

            if (await users.TryWriteMfaAsync(account, spent, cancellationToken) is { } written)
            {
                return new SecondFactorCheck.Accepted(written, useRecovery ? "rcv" : "otp", reservation);
            }

            // Another write landed first (maybe the same code on another instance): check against the row as it is now.
            if (await users.FindByIdAsync(account.UserId, account.Email, cancellationToken) is not { } current)
            {
                return new SecondFactorCheck.Gone();
            }

            if (stillApplies is not null && !stillApplies(current))
            {
                return new SecondFactorCheck.Gone();
            }

            account = current;
        }

        return new SecondFactorCheck.Throttled(TimeSpan.FromSeconds(1));
    }

    /// <summary>
    /// A place in the account's second-factor counter, taken before a check's outcome is used (a passkey's answer at the
    /// second step takes one as a code does).
    /// </summary>
    public Task<Reservation> ReserveAsync(string userId, CancellationToken cancellationToken) =>
        throttle.ReserveAsync(ThrottleKey.SecondFactor(userId), known: null, cancellationToken);

    /// <summary>A right answer (a complete sign-in, an enable, a step-up): the counter forgets the failures up to this check.</summary>
    public Task ClearAsync(string userId, Reservation reservation, CancellationToken cancellationToken) =>
        throttle.ClearAsync(ThrottleKey.SecondFactor(userId), reservation, cancellationToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Second factor rejected for user {UserId}")]
    private static partial void LogRejected(ILogger logger, string userId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Second factor refused for user {UserId}: too many recent failures")]
    private static partial void LogThrottled(ILogger logger, string userId);
}
