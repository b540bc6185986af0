using Microsoft.Extensions.Logging;
using Serverless.Auth.Storage;

namespace Serverless.Auth.Email;

/// <summary>
/// Asks for a mail: one queue insert with a fresh token, whatever the address. Whether the address
/// has an account is decided by the sender, off the request path, so the answer's body and timing
/// are the same for every address.
/// </summary>
internal sealed partial class MailOutbox(MailQueue queue, TimeProvider time, ILogger<MailOutbox> logger)
{
    /// <summary>Throws when the queue is unreachable (the endpoint answers 503: nothing happened, ask again).</summary>
    public Task RequestAsync(MailKind kind, string canonicalEmail, CancellationToken cancellationToken) =>
        queue.EnqueueAsync(NewRequest(kind, canonicalEmail), cancellationToken);

    /// <summary>A request with a fresh token, for a caller that stores something under the token's hash before <see cref="EnqueueAsync"/>.</summary>
    public MailRequest NewRequest(MailKind kind, string canonicalEmail) => new(kind, canonicalEmail, MailRequest.NewToken(), time.GetUtcNow());

    /// <summary>Throws when the queue is unreachable.</summary>
    public Task EnqueueAsync(MailRequest request, CancellationToken cancellationToken) => queue.EnqueueAsync(request, cancellationToken);

    /// <summary>
    /// Signup's mail. The account exists by now, so a queue outage must not turn the signup into a
    /// 503 (a retry would find the address taken); the owner can ask again through resend or forgot.
    /// </summary>
    /// <param name="userId">The account the mail is for, when its address does not find it (one a provider gave without vouching for it).</param>
    public async Task RequestAfterSignupAsync(MailKind kind, string canonicalEmail, CancellationToken cancellationToken, string? userId = null)
    {
        try
        {
            await EnqueueAsync(NewRequest(kind, canonicalEmail) with { UserId = userId }, cancellationToken);
        }
        catch (Exception e) when (StorageFailure.IsUnavailable(e) && !cancellationToken.IsCancellationRequested)
        {
            LogNotQueued(logger, kind);
        }
    }

    /// <summary>
    /// A security notice to the account's address, after the change it tells of is stored: a queue outage must not
    /// turn a change that happened into an error (logged, the change stands).
    /// </summary>
    public async Task NotifyAsync(string userId, string canonicalEmail, SecurityNotice notice, CancellationToken cancellationToken, int? recoveryCodesLeft = null)
    {
        try
        {
            await EnqueueAsync(NewRequest(MailKind.SecurityNotice, canonicalEmail) with { UserId = userId, Notice = notice, RecoveryCodesLeft = recoveryCodesLeft }, cancellationToken);
        }
        catch (Exception e) when (StorageFailure.IsUnavailable(e) && !cancellationToken.IsCancellationRequested)
        {
            LogNoticeNotQueued(logger, notice, userId);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Notice} notice for user {UserId} could not be queued (storage unreachable)")]
    private static partial void LogNoticeNotQueued(ILogger logger, SecurityNotice notice, string userId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Kind} mail after a signup could not be queued (storage unreachable); the user can ask for it again")]
    private static partial void LogNotQueued(ILogger logger, MailKind kind);
}
