using Azure;
using Microsoft.Extensions.Hosting;
using Serverless.Auth.Email;

namespace Serverless.Auth.Storage;

/// <summary>
/// Creates the tables and the mail queues at start-up when running against a connection string
/// (Azurite, local). In Azure, Bicep creates them: the identity could (its table role also lets the app
/// create and drop its revocation change-log tables), but a cold start should not spend round trips on it.
/// Runs once: <see cref="StartupRefusal.RunOrRefuse"/> runs it before the host starts, and the host's start
/// then finds it done.
/// </summary>
internal sealed class TableInitializer(AuthTables tables, MailQueue mail, Events.EventLog events, TimeProvider time) : IHostedService
{
    private readonly Lazy<Task> once = new(() => InitializeAsync(tables, mail, events.TablesAhead(time.GetUtcNow())));

    public Task StartAsync(CancellationToken cancellationToken) => once.Value.WaitAsync(cancellationToken);

    private static async Task InitializeAsync(AuthTables tables, MailQueue mail, IReadOnlyList<Azure.Data.Tables.TableClient> eventTables)
    {
        if (!tables.UsesConnectionString)
        {
            return;
        }

        // No cancellation: the host's start waits on this with its own token (WaitAsync), and both callers share the run.
        try
        {
            // One query for the tables that exist, then every missing table and both queues at once: a cold
            // start waits about one round trip instead of seven, and no "already exists" conflict is thrown
            // (a queue that exists answers its create with 204, not an error).
            var all = tables.All.Concat(eventTables).ToList();
            var names = all.Select(table => table.Name).ToList();
            var existing = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var creatingQueues = Task.WhenAll(
                mail.Requests.CreateIfNotExistsAsync(),
                mail.Poison.CreateIfNotExistsAsync());
            await foreach (var table in tables.Service.QueryAsync(string.Join(" or ", names.Select(name => $"TableName eq '{name}'"))))
            {
                existing.Add(table.Name);
            }

            await Task.WhenAll(all.Where(table => !existing.Contains(table.Name)).Select(table => table.CreateIfNotExistsAsync()));
            await creatingQueues;
        }
        catch (RequestFailedException e) when (e.Status is 401 or 403)
        {
            // A signature the service cannot verify: the key in the connection string is not the account's.
            throw new StartupRefusedException(
                $"Auth__Storage__ConnectionString: the account key was rejected (storage at {tables.Service.Uri} answered {e.Status} {e.ErrorCode}). Copy the key of that account, or use UseDevelopmentStorage=true for Azurite.", e);
        }
        catch (Exception e) when (StorageFailure.IsUnavailable(e))
        {
            throw new StartupRefusedException(
                $"Storage at {tables.Service.Uri} is not reachable (Auth__Storage__ConnectionString). Is Azurite running? `npm start` starts it.", e);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
