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
    IAuthMailSender sender,
    Events.AuthEvents events,
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
            if (await TryDeliverAsync(request, email, cancellationToken) is { } outcome)
            {
                return outcome;
            }

            if (attempt == MaxAttempts)
            {
                throw new InvalidOperationException("The account changed during each attempt to record the mail; the queue will retry.");
            }
        }
    }

    /// <summary>One attempt; null when the account changed while the mail was being recorded (read it again).</summary>
    private async Task<MailOutcome?> TryDeliverAsync(MailRequest request, string email, CancellationToken cancellationToken)
    {
        // An email change's link and notice, and a security notice, are the account's (found by its id: by the time the notice goes out, the old
        // address it is mailed to may no longer find the account); every other mail is the address's.
        // So is the confirmation of an address a provider gave without vouching for it: no email identity points at that account yet.
        var account = request.Kind is MailKind.ClaimEmail
            ? await users.FindByIdAsync(request.UserId ?? "", null, cancellationToken) is { EmailClaimed: false } unclaimed && unclaimed.Email == email ? unclaimed : null
            : request.Kind is not (MailKind.EmailChange or MailKind.EmailChangeNotice or MailKind.SecurityNotice) ? await users.FindByEmailAsync(email, cancellationToken)
            : request.UserId is { Length: > 0 } userId ? await users.FindByIdAsync(userId, null, cancellationToken)
            : null;
        if (request.Kind == MailKind.Registration && account is null)
        {
            return await SendRegistrationLinkAsync(request, email, cancellationToken);
        }

        var mail = request;
        if (request.Kind == MailKind.Registration)
        {
            mail = await NoticeInsteadOfLinkAsync(request, cancellationToken);
        }
        else if (request.Kind == MailKind.EmailChange && account is not null
            && await users.FindByEmailAsync(email, cancellationToken) is { } holder && holder.UserId != account.UserId)
        {
            // The new address has an account: its owner hears of the attempt, and no link is mailed that could move it.
            // The requester's earlier change links are voided all the same (the stamp), since whether one still worked
            // would tell the requester that this address is taken.
            if (Skip(request, email, account) is null && !await RecordAsync(request, email, account, cancellationToken))
            {
                return null;
            }

            (mail, account) = (request with { Kind = MailKind.EmailInUse }, holder);
        }

        if (Skip(mail, email, account) is { } reason)
        {
            LogSkipped(logger, mail.Kind, reason);
            return MailOutcome.Skipped;
        }

        if (!await RecordAsync(mail, email, account!, cancellationToken))
        {
            return null;
        }

        await SendAsync(mail, email, $"user {account!.UserId}", cancellationToken);
        LogSent(logger, mail.Kind, account.UserId);
        if (mail.Kind == MailKind.Reset)
        {
            await events.RaiseAsync(Events.AuthEventKind.PasswordResetRequested, account.UserId);
        }

        return MailOutcome.Sent;
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
            await sender.SendAsync(composer.Compose(mail, to), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A relay's or an API's refusal often quotes the recipient: keep only the kind of failure (hosts log what we throw).
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

    /// <param name="to">The canonical address the mail goes to: the account's, or for an email change the new one.</param>
    private string? Skip(MailRequest request, string to, UserAccount? account)
    {
        var now = time.GetUtcNow();
        if (account is null)
        {
            return "no account for the address";
        }

        if (request.Kind == MailKind.EmailChange && account.Email == to)
        {
            return "the address is the account's already";
        }

        if (account.Disabled && request.Kind is MailKind.Confirm or MailKind.ClaimEmail or MailKind.Reset or MailKind.EmailChange)
        {
            return "the account is disabled: its links would not work";
        }

        if (request.Kind is MailKind.Confirm or MailKind.ClaimEmail && account.EmailConfirmed)
        {
            return "address already confirmed";
        }

        if (ExpiresAt(request) is { } expires && now >= expires)
        {
            return "the token expired while queued";
        }

        var stamp = account.StampOf(request.Kind);
        var isRetry = stamp?.TokenHash == MailRequest.HashOf(request.Token);
        // No cooldown for a change link: the newest request wins at once (a mistyped address is corrected by asking
        // again). Its recipients are bounded by the per-address caps and the request by the password check's limits.
        // Nor for a security notice: each event is the owner's to hear of (only a request that proved the account asks for one).
        return !isRetry && stamp is not null && request.Kind is not (MailKind.EmailChange or MailKind.SecurityNotice) && now - stamp.At < settings.MailCooldown
            ? "cooldown: a mail of this kind went out moments ago"
            : null;
    }

    /// <summary>
    /// Stores the token (confirm, reset) and stamps the account with its hash. For a reset that stamp
    /// is what makes this token the only valid one: older links stop working. False on a lost race.
    /// </summary>
    private async Task<bool> RecordAsync(MailRequest request, string to, UserAccount account, CancellationToken cancellationToken)
    {
        var hash = MailRequest.HashOf(request.Token);
        if (account.StampOf(request.Kind)?.TokenHash == hash)
        {
            return true;
        }

        // The stamp is written to the account's own row: one the previous release stored is moved there first.
        if (await users.EnsureCurrentAsync(account, cancellationToken) is not { } current)
        {
            return false;
        }

        if (ExpiresAt(request) is { } expires)
        {
            await tokens.SaveAsync(new MailToken(hash, request.Kind, current.UserId, to, expires), cancellationToken);
        }

        return await users.TryStampMailAsync(current, request.Kind, new MailStamp(hash, time.GetUtcNow()), cancellationToken);
    }

    private DateTimeOffset? ExpiresAt(MailRequest request) => request.Kind switch
    {
        MailKind.Confirm or MailKind.ClaimEmail or MailKind.Registration => request.RequestedAt + settings.ConfirmTokenLifetime,
        MailKind.Reset => request.RequestedAt + settings.ResetTokenLifetime,
        MailKind.EmailChange => request.RequestedAt + settings.ResetTokenLifetime,
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
