using Azure.Storage.Queues;
using Microsoft.Extensions.Options;
using Serverless.Auth.Storage;

namespace Serverless.Auth.Email;

/// <summary>
/// The mail queue and its poison queue. Messages are base64-encoded: the Functions queue trigger
/// decodes base64 by default, so both senders read what this client writes.
/// </summary>
internal sealed class MailQueue
{
    public const string PoisonSuffix = "-poison";

    public MailQueue(IOptions<StorageOptions> options)
    {
        var settings = options.Value;
        var clientOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        AuthTables.BoundRetries(clientOptions.Retry, settings);
        if (settings.PipelineObserver is { } observer)
        {
            clientOptions.AddPolicy(observer, Azure.Core.HttpPipelinePosition.PerRetry);
        }

        var service = settings.UsesConnectionString
            ? new QueueServiceClient(settings.ConnectionString, clientOptions)
            : new QueueServiceClient(settings.QueueServiceUri, AuthTables.CreateCredential(settings), clientOptions);
        UsesConnectionString = settings.UsesConnectionString;
        Requests = service.GetQueueClient(settings.EmailQueue);
        Poison = service.GetQueueClient(settings.EmailQueue + PoisonSuffix);
    }

    public QueueClient Requests { get; }
    public QueueClient Poison { get; }
    public bool UsesConnectionString { get; }

    public Task EnqueueAsync(MailRequest request, CancellationToken cancellationToken) =>
        Requests.SendMessageAsync(request.ToJson(), cancellationToken);
}
