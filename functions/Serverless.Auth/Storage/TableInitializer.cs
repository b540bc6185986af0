using Microsoft.Extensions.Hosting;

namespace Serverless.Auth.Storage;

/// <summary>
/// Creates the tables at start-up when running against a connection string (Azurite, local).
/// In Azure the tables come from Bicep and the identity has no right to create them.
/// </summary>
internal sealed class TableInitializer(AuthTables tables) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!tables.UsesConnectionString)
        {
            return;
        }

        foreach (var table in tables.All)
        {
            await table.CreateIfNotExistsAsync(cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
