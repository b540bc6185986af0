using Microsoft.Azure.Functions.Worker;
using Serverless.Auth;
using Serverless.Auth.Storage;

namespace Serverless.Functions;

/// <summary>
/// Sends the queued mail. The queue name is the flat app setting AUTH_EMAIL_QUEUE, the one the API enqueues to;
/// the connection "AuthQueue" is identity-based in Azure (AuthQueue__queueServiceUri, __credential, __clientId).
/// Retries, the visibility timeout and the poison queue follow host.json's extensions.queues.
/// </summary>
public static class MailSenderFunction
{
    [Function("MailSender")]
    public static Task Run([QueueTrigger("%" + StorageOptions.EmailQueueSetting + "%", Connection = "AuthQueue")] string message, FunctionContext context) =>
        context.InstanceServices.DeliverQueuedMailAsync(message, context.CancellationToken);
}
