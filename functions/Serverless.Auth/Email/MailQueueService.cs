using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Serverless.Auth.Email;

/// <summary>
/// The mail queue's retry mechanics, the same for both senders: host.json <c>extensions.queues</c> holds these values
/// (<c>maxDequeueCount</c>, <c>visibilityTimeout</c>, <c>maxPollingInterval</c>) for the Functions queue trigger, and the
/// standalone host binds the same section; the <c>AzureFunctionsJobHost__extensions__queues__*</c> form overrides it in
/// both. A test keeps the defaults equal to host.json.
/// </summary>
public sealed class MailQueueOptions
{
    /// <summary>The section of host.json's queue settings as app settings (<c>AzureFunctionsJobHost__extensions__queues__*</c>).</summary>
    public const string Section = "AzureFunctionsJobHost:extensions:queues";

    /// <summary>Attempts before a message moves to the poison queue (<c>&lt;queue&gt;-poison</c>), 1-100.</summary>
    public int MaxDequeueCount { get; set; } = 5;

    /// <summary>How long a failed message stays invisible before the next attempt, 0 to 1 hour.</summary>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest wait between polls of an empty queue, 100 ms to 10 minutes.</summary>
    public TimeSpan MaxPollingInterval { get; set; } = TimeSpan.FromSeconds(2);
}

internal sealed class MailQueueOptionsValidator : IValidateOptions<MailQueueOptions>
{
    public ValidateOptionsResult Validate(string? name, MailQueueOptions options) =>
        options.MaxDequeueCount is < 1 or > 100 || options.VisibilityTimeout < TimeSpan.Zero || options.VisibilityTimeout > TimeSpan.FromHours(1)
        || options.MaxPollingInterval < TimeSpan.FromMilliseconds(100) || options.MaxPollingInterval > TimeSpan.FromMinutes(10)
            ? ValidateOptionsResult.Fail("AzureFunctionsJobHost__extensions__queues__maxDequeueCount must be 1-100, visibilityTimeout 0-1 h and maxPollingInterval 100 ms-10 min.")
            : ValidateOptionsResult.Success;
}

/// <summary>
/// The standalone host's mail sender: takes messages off the queue the way the Functions queue
/// trigger does (a lease while processing; on failure the message reappears after the visibility
/// timeout; after <c>maxDequeueCount</c> attempts it moves to <c>&lt;queue&gt;-poison</c>). Polling
/// waits on the real clock, not the app's TimeProvider: it is plumbing, not a rule about time.
/// </summary>
internal sealed partial class MailQueueService(
    MailQueue queue,
    MailDelivery delivery,
    IOptions<MailQueueOptions> options,
    ILogger<MailQueueService> logger) : BackgroundService
{
    private const int BatchSize = 16;
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);
    private readonly MailQueueOptions settings = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var idle = TimeSpan.FromMilliseconds(100);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                QueueMessage[] messages = (await queue.Requests.ReceiveMessagesAsync(BatchSize, Lease, stoppingToken)).Value;
                foreach (var message in messages)
                {
                    await HandleAsync(message, stoppingToken);
                }

                // Back off while the queue is empty, up to the polling ceiling, as the Functions trigger does.
                idle = messages.Length > 0 ? TimeSpan.FromMilliseconds(100) : Min(idle * 2, settings.MaxPollingInterval);
                if (messages.Length == 0)
                {
                    await Task.Delay(idle, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Storage unreachable: wait and poll again; messages stay in the queue.
                LogPollFailed(logger, e);
                await Task.Delay(settings.MaxPollingInterval, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private async Task HandleAsync(QueueMessage message, CancellationToken stoppingToken)
    {
        try
        {
            await delivery.DeliverAsync(message.MessageText, stoppingToken);
            await queue.Requests.DeleteMessageAsync(message.MessageId, message.PopReceipt, stoppingToken);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            // Only MailDeliveryException's message is ours to log whole; others (storage) name no address either.
            if (message.DequeueCount >= settings.MaxDequeueCount)
            {
                LogPoisoned(logger, message.MessageId, message.DequeueCount, e.Message);
                await queue.Poison.SendMessageAsync(message.MessageText, stoppingToken);
                await queue.Requests.DeleteMessageAsync(message.MessageId, message.PopReceipt, stoppingToken);
            }
            else
            {
                LogRetrying(logger, message.MessageId, message.DequeueCount, settings.VisibilityTimeout, e.Message);
                await queue.Requests.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: settings.VisibilityTimeout, cancellationToken: stoppingToken);
            }
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mail message {MessageId} failed (attempt {Attempt}): {Reason}; retrying after {Delay}")]
    private static partial void LogRetrying(ILogger logger, string messageId, long attempt, TimeSpan delay, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Mail message {MessageId} failed {Attempts} times ({Reason}); moved to the poison queue")]
    private static partial void LogPoisoned(ILogger logger, string messageId, long attempts, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Polling the mail queue failed; trying again")]
    private static partial void LogPollFailed(ILogger logger, Exception exception);
}
