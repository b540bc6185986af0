using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Identity;
using Microsoft.Extensions.Options;

namespace Serverless.Auth.Storage;

/// <summary>The table clients the service uses, built once from <see cref="StorageOptions"/>.</summary>
internal sealed class AuthTables
{
    public AuthTables(IOptions<StorageOptions> options)
    {
        var settings = options.Value;
        var clientOptions = new TableClientOptions();
        BoundRetries(clientOptions.Retry, settings);
        if (settings.PipelineObserver is { } observer)
        {
            clientOptions.AddPolicy(observer, HttpPipelinePosition.PerRetry);
        }

        Service = settings.UsesConnectionString
            ? new TableServiceClient(settings.ConnectionString, clientOptions)
            : new TableServiceClient(settings.TableServiceUri, CreateCredential(settings), clientOptions);
        UsesConnectionString = settings.UsesConnectionString;
        Users = Service.GetTableClient(settings.UsersTable);
        Revocations = Service.GetTableClient(settings.RevocationsTable);
        LoginThrottle = Service.GetTableClient(settings.LoginThrottleTable);
        Sessions = Service.GetTableClient(settings.SessionsTable);
        MailTokens = Service.GetTableClient(settings.MailTokensTable);
        MailQuotas = Service.GetTableClient(settings.MailQuotasTable);
    }

    public TableServiceClient Service { get; }
    public bool UsesConnectionString { get; }
    public TableClient Users { get; }
    public TableClient Revocations { get; }
    public TableClient LoginThrottle { get; }
    public TableClient Sessions { get; }
    public TableClient MailTokens { get; }
    public TableClient MailQuotas { get; }

    public IEnumerable<TableClient> All => [Users, Revocations, LoginThrottle, Sessions, MailTokens, MailQuotas];

    /// <summary>Bounded waits: a storage outage must turn into a quick 503, not a hung request.</summary>
    internal static void BoundRetries(RetryOptions retry, StorageOptions settings)
    {
        retry.Mode = RetryMode.Exponential;
        retry.MaxRetries = settings.MaxRetries;
        retry.Delay = TimeSpan.FromMilliseconds(200);
        retry.MaxDelay = TimeSpan.FromSeconds(1);
        retry.NetworkTimeout = TimeSpan.FromSeconds(settings.TimeoutSeconds);
    }

    internal static TokenCredential CreateCredential(StorageOptions settings) =>
        string.IsNullOrWhiteSpace(settings.ManagedIdentityClientId)
            ? new DefaultAzureCredential()
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(settings.ManagedIdentityClientId));
}
