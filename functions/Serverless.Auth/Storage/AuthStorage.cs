using Azure.Data.Tables;

namespace Serverless.Auth.Storage;

/// <summary>
/// The storage account this service uses (the same connection string or managed identity, the same bounded retries),
/// for an app's own tables next to the service's: <see cref="GetTableClient"/>. Registered by <c>AddSessionAuthentication</c>
/// and <c>AddServerlessAuth</c>.
/// </summary>
public sealed class AuthStorage
{
    private readonly AuthTables tables;

    internal AuthStorage(AuthTables tables) => this.tables = tables;

    /// <summary>A client for a table of the app's own, in the service's account.</summary>
    public TableClient GetTableClient(string tableName) => tables.Service.GetTableClient(tableName);

    /// <summary>
    /// Whether the app should create its tables itself: true against a connection string (Azurite, local), false with a
    /// managed identity (in Azure the deployment creates tables; Bicep does for this template's).
    /// </summary>
    public bool CreatesTables => tables.UsesConnectionString;
}
