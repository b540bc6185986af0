using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Auth.Accounts;

namespace Serverless.Auth.Email;

/// <summary>A mail that could not be sent; its message names no address and no token.</summary>
internal sealed class MailDeliveryException(string message) : Exception(message);

internal enum MailOutcome
{
    Sent,

    /// <summary>Nothing to send: no such account, already confirmed, within the cooldown, expired while queued, or not a message of ours.</summary>
    Skipped,

    /// <summary>Dropped for good: the address had its share of mail for the hour or the day.</summary>
    Capped,
}

/// <summary>
/// Handles one queued <see cref="MailRequest"/>: the same library code behind the queue-triggered
/// function (Azure) and <see cref="MailQueueService"/> (Standalone). Throws on a transient failure
/// (SMTP or storage) so the queue retries; a retried message is recognised by its token hash, so it
/// neither trips the cooldown nor makes a second token, nor counts twice toward the address's caps.
/// Logs hold neither tokens nor addresses.
/// </summary>
internal sealed partial class MailDelivery(
    MailQuota quota,
    UserRepository users,
    MailTokenStore tokens,
    MailComposer composer,
    SmtpMailSender smtp,
    IOptions<EmailOptions> options,
    TimeProvider time,
    ILogger<MailDelivery> logger)
{
    private const int MaxAttempts = 3;
    private readonly EmailOptions settings = options.Value;

    public async Task<MailOutcome> DeliverAsync(string messageText, CancellationToken cancellationToken)
    {
        if (MailRequest.TryParse(messageText) is not { } request || !EmailAddress.TryCanonicalize(request.Email, out var email, out _))
        {
            LogMalformed(logger);
            return MailOutcome.Skipped;
        }

        // Counted first, before the account is looked up: every address is capped alike, registered or not, and a
        // capped message never reaches the stamp below, so a flood cannot void the reset link that did go out.
        if (request.Kind.CountsTowardAddressCap() && !await quota.TryCountAsync(email, MailRequest.HashOf(request.Token), cancellationToken))
        {
            LogCapped(logger, request.Kind);
            return MailOutcome.Capped;
        }

        for (var attempt = 1; ; attempt++)
        {
            var account = await users.FindAsync(email, cancellationToken);
            if (request.Kind == MailKind.Registration && account is null)
            {
                return await SendRegistrationLinkAsync(request, email, cancellationToken);
            }

            var mail = request.Kind == MailKind.Registration ? await NoticeInsteadOfLinkAsync(request, cancellationToken) : request;
            if (Skip(mail, account) is { } reason)
            {
                LogSkipped(logger, mail.Kind, reason);
                return MailOutcome.Skipped;
            }

            if (await RecordAsync(mail, account!, cancellationToken))
            {
                await SendAsync(mail, account!.Email, $"user {account.UserId}", cancellationToken);
                LogSent(logger, mail.Kind, account.UserId);
                return MailOutcome.Sent;
            }

            if (attempt == MaxAttempts)
            {
                throw new InvalidOperationException("The account changed during each attempt to record the mail; the queue will retry.");
            }
        }
    }

    /// <summary>The address is free (still): its link goes out. No account to stamp: the caps bound these mails.</summary>
    private async Task<MailOutcome> SendRegistrationLinkAsync(MailRequest request, string email, CancellationToken cancellationToken)
    {
        if (time.GetUtcNow() >= ExpiresAt(request))
        {
            LogSkipped(logger, request.Kind, "the token expired while queued");
            return MailOutcome.Skipped;
        }

        await SendAsync(request, email, "a pending registration", cancellationToken);
        LogRegistrationSent(logger);
        return MailOutcome.Sent;
    }

    /// <summary>
    /// A registration for an address that has an account: its link is never mailed, and its row is spent so it
    /// never works (not even after the account is deleted). The owner hears of the attempt, as before this
    /// release: the same message, with the notice's cooldown and retry stamp.
    /// </summary>
    private async Task<MailRequest> NoticeInsteadOfLinkAsync(MailRequest request, CancellationToken cancellationToken)
    {
        await tokens.DeleteAsync(MailRequest.HashOf(request.Token), cancellationToken);
        return request with { Kind = MailKind.SignupAttempt };
    }

    private async Task SendAsync(MailRequest mail, string to, string recipient, CancellationToken cancellationToken)
    {
        try
        {
            await smtp.SendAsync(composer.Compose(mail.Kind, to, mail.Token), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A relay's refusal often quotes the recipient: keep only the kind of failure (hosts log what we throw).
            throw new MailDeliveryException($"{mail.Kind} mail for {recipient} could not be sent: {Describe(e)}. The queue retries it.");
        }
    }

    private static string Describe(Exception e) => e switch
    {
        MailKit.Net.Smtp.SmtpCommandException smtp => $"SMTP {(int)smtp.StatusCode} ({smtp.ErrorCode})",
        MailKit.Net.Smtp.SmtpProtocolException => "SMTP protocol error",
        MailKit.Security.AuthenticationException => "SMTP authentication failed (Auth__Email__SmtpUser / SmtpPassword)",
        System.Net.Sockets.SocketException socket => $"cannot reach the SMTP relay ({socket.SocketErrorCode})",
        _ => e.GetType().Name,
    };

    private string? Skip(MailRequest request, UserAccount? account)
    {
        var now = time.GetUtcNow();
        if (account is null)
        {
            return "no account for the address";
        }

        if (request.Kind == MailKind.Confirm && account.EmailConfirmed)
        {
            return "address already confirmed";
        }

        if (ExpiresAt(request) is { } expires && now >= expires)
        {
            return "the token expired while queued";
        }

        var stamp = account.StampOf(request.Kind);
        var isRetry = stamp?.TokenHash == MailRequest.HashOf(request.Token);
        return !isRetry && stamp is not null && now - stamp.At < settings.MailCooldown ? "cooldown: a mail of this kind went out moments ago" : null;
    }

    /// <summary>
    /// Stores the token (confirm, reset) and stamps the account with its hash. For a reset that stamp
    /// is what makes this token the only valid one: older links stop working. False on a lost race.
    /// </summary>
    private async Task<bool> RecordAsync(MailRequest request, UserAccount account, CancellationToken cancellationToken)
    {
        var hash = MailRequest.HashOf(request.Token);
        if (account.StampOf(request.Kind)?.TokenHash == hash)
        {
            return true;
        }

        if (ExpiresAt(request) is { } expires)
        {
            await tokens.SaveAsync(new MailToken(hash, request.Kind, account.UserId, account.Email, expires), cancellationToken);
        }

        return await users.TryStampMailAsync(account, request.Kind, new MailStamp(hash, time.GetUtcNow()), cancellationToken);
    }

    private DateTimeOffset? ExpiresAt(MailRequest request) => request.Kind switch
    {
        MailKind.Confirm or MailKind.Registration => request.RequestedAt + settings.ConfirmTokenLifetime,
        MailKind.Reset => request.RequestedAt + settings.ResetTokenLifetime,
        _ => null,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mail queue message is not a mail request; dropped")]
    private static partial void LogMalformed(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Kind} mail dropped: its address had its share of mail for the hour or the day (Auth__Email__MaxPerAddressPerHour / MaxPerAddressPerDay)")]
    private static partial void LogCapped(ILogger logger, MailKind kind);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind} mail not sent: {Reason}")]
    private static partial void LogSkipped(ILogger logger, MailKind kind, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Registration mail sent: the account is created when its link is used")]
    private static partial void LogRegistrationSent(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind} mail sent to user {UserId}")]
    private static partial void LogSent(ILogger logger, MailKind kind, string userId);
}
