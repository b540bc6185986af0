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
            // One query for the tables that exist, then every missing table and both queues at once: a cold
            // start waits about one round trip instead of seven, and no "already exists" conflict is thrown
            // (a queue that exists answers its create with 204, not an error).
            var names = tables.All.Select(table => table.Name).ToList();
            var existing = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var creatingQueues = Task.WhenAll(
                mail.Requests.CreateIfNotExistsAsync(cancellationToken: cancellationToken),
                mail.Poison.CreateIfNotExistsAsync(cancellationToken: cancellationToken));
            await foreach (var table in tables.Service.QueryAsync(string.Join(" or ", names.Select(name => $"TableName eq '{name}'")), cancellationToken: cancellationToken))
            {
                existing.Add(table.Name);
            }

            await Task.WhenAll(tables.All.Where(table => !existing.Contains(table.Name)).Select(table => table.CreateIfNotExistsAsync(cancellationToken)));
            await creatingQueues;
        }
        catch (Exception e) when (StorageFailure.IsUnavailable(e))
        {
            throw new InvalidOperationException(
                $"Storage at {tables.Service.Uri} is not reachable (Auth__Storage__ConnectionString). Is Azurite running? `npm start` starts it.", e);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
