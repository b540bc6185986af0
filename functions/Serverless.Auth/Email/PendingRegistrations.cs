using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Auth.Accounts;
using Serverless.Auth.Storage;
using Serverless.Auth.Throttling;

namespace Serverless.Auth.Email;

/// <summary>
/// Signup while confirmation is required (<see cref="EmailOptions.RequireConfirmed"/>). Signup creates no
/// account: it stores a pending registration in the mail tokens table, keyed by the hash of its link's token,
/// holding the address, the Argon2 hash of the chosen password and the link's expiry, and queues the mail
/// (which carries the token, never the hash). The account is created when the link is used. So an address
/// someone else signs up for stays free (nothing to squat without the mailbox), and login has nothing to
/// tell apart: until the link is used there is no account, only the generic 401.
/// </summary>
internal sealed partial class PendingRegistrations(
    MailTokenStore tokens,
    MailOutbox outbox,
    UserRepository users,
    LoginThrottle throttle,
    IOptions<EmailOptions> options,
    TimeProvider time,
    ILogger<PendingRegistrations> logger)
{
    private readonly EmailOptions settings = options.Value;

    /// <summary>
    /// The same work whether the address is free or registered (one table write, one queue message, no look-up
    /// of the address): the sender decides which mail goes out, off the request path. Several registrations
    /// for one address may wait side by side (its owner's and someone else's); each is useless without its link.
    /// Throws when storage is unreachable (the endpoint answers 503; a row written before a failed enqueue is
    /// never mailed and expires).
    /// </summary>
    public async Task StartAsync(string userId, string canonicalEmail, string passwordHash, CancellationToken cancellationToken)
    {
        var request = outbox.NewRequest(MailKind.Registration, canonicalEmail);
        var pending = new MailToken(MailRequest.HashOf(request.Token), MailKind.Registration, userId, canonicalEmail, request.RequestedAt + settings.ConfirmTokenLifetime)
        {
            PasswordHash = passwordHash,
        };
        await tokens.SaveAsync(pending, cancellationToken);
        await outbox.EnqueueAsync(request, cancellationToken);
    }

    /// <summary>
    /// Uses a pending registration's link: creates the account, confirmed (the link proved the mailbox). Null
    /// when the link was spent by a concurrent use, or when the address got an account meanwhile (another
    /// registration's link was used first): the caller answers as for a used link, which says no more.
    /// </summary>
    public async Task<UserAccount?> CompleteAsync(MailToken pending, CancellationToken cancellationToken)
    {
        // Spend the link first (mark it if unchanged since read): of concurrent uses exactly one goes on, and a
        // spent link can never create a second account, even after this one is deleted.
        if (pending.PasswordHash is not { } passwordHash || !await tokens.TrySpendAsync(pending, cancellationToken))
        {
            return null;
        }

        bool created;
        try
        {
            created = await users.TryCreateAsync(pending.UserId, pending.Email, passwordHash, time.GetUtcNow(), emailConfirmed: true, cancellationToken);
        }
        catch (Exception e) when (StorageFailure.IsUnavailable(e))
        {
            // Nothing created (or, if only the answer was lost, the address is taken now): give the link back so
            // that trying again works. If storage refuses that too, the user signs up again.
            await RestoreAsync(pending);
            throw;
        }

        if (!created)
        {
            LogAddressTaken(logger);
            return null;
        }

        // The owner has proven the address: failures counted against it before (by anyone) are cleared, as for a confirmation.
        await throttle.ResetAsync(ThrottleKey.Account(pending.Email), cancellationToken);
        await tokens.DeleteAsync(pending.TokenHash, cancellationToken);
        LogRegistered(logger, pending.UserId);
        return new UserAccount(pending.UserId, pending.Email, passwordHash, default, EmailConfirmed: true);
    }

    private async Task RestoreAsync(MailToken pending)
    {
        try
        {
            await tokens.SaveAsync(pending, CancellationToken.None);
        }
        catch (Exception e) when (StorageFailure.IsUnavailable(e))
        {
            LogNotRestored(logger);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "User {UserId} registered: the confirmation link created the account")]
    private static partial void LogRegistered(ILogger logger, string userId);

    [LoggerMessage(Level = LogLevel.Information, Message = "A registration link was used for an address that has an account by now; nothing created")]
    private static partial void LogAddressTaken(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A registration link could not be given back after a storage failure; its owner has to sign up again")]
    private static partial void LogNotRestored(ILogger logger);
}
