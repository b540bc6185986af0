using Microsoft.Extensions.Hosting;
using Serverless.Auth.Email;

namespace Serverless.Auth.Storage;

/// <summary>
/// Creates the tables and the mail queues at start-up when running against a connection string
/// (Azurite, local). In Azure they come from Bicep and the identity has no right to create them.
/// </summary>
internal sealed class TableInitializer(AuthTables tables, MailQueue mail) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!tables.UsesConnectionString)
        {
            return;
        }

        try
        {
            foreach (var table in tables.All)
            {
                await table.CreateIfNotExistsAsync(cancellationToken);
            }

            await mail.Requests.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            await mail.Poison.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        }
        catch (Exception e) when (StorageFailure.IsUnavailable(e))
        {
            throw new InvalidOperationException(
                $"Storage at {tables.Service.Uri} is not reachable (Auth__Storage__ConnectionString). Is Azurite running? `npm start` starts it.", e);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
