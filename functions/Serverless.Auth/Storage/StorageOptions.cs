using Azure.Core.Pipeline;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Serverless.Auth.Storage;

/// <summary>
/// Settings under <c>Auth__Storage__*</c>: where accounts, sessions, tokens and events live (Azure Table Storage) and the
/// mail queue, reached with a connection string (Azurite locally) or a managed identity (Azure).
/// </summary>
public sealed class StorageOptions
{
    /// <summary>The configuration section these settings bind to (<c>Auth__Storage__*</c> environment variables).</summary>
    public const string Section = "Auth:Storage";

    /// <summary>
    /// Connection-string mode (Azurite locally), e.g. <c>UseDevelopmentStorage=true</c>. Exactly one of this and
    /// <see cref="TableServiceUri"/>. Tables are created at start-up in this mode.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Managed-identity mode (Azure): the table service endpoint, an absolute https URI such as
    /// <c>https://&lt;account&gt;.table.core.windows.net</c>. Tables must exist (Bicep creates them), except the revocation
    /// change-log tables, which the app creates and drops each minute (its table role is on the storage account).
    /// </summary>
    public Uri? TableServiceUri { get; set; }

    /// <summary>
    /// Client id of a user-assigned managed identity (identity mode only: refused with a connection string); empty:
    /// <c>DefaultAzureCredential</c> (system-assigned identity, developer credentials).
    /// </summary>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>The accounts table (a table name: 3-63 letters or digits, starting with a letter, as every table setting).</summary>
    public string UsersTable { get; set; } = "Users";
    /// <summary>
    /// The revocation log's table, and the prefix of its per-minute change-log tables (<c>RevokedTokens202611231405</c>), so
    /// at most 51 characters.
    /// </summary>
    public string RevocationsTable { get; set; } = "RevokedTokens";
    /// <summary>The table of login backoff state per account and client.</summary>
    public string LoginThrottleTable { get; set; } = "LoginThrottle";
    /// <summary>The table of sessions and their refresh-token chains.</summary>
    public string SessionsTable { get; set; } = "Sessions";
    /// <summary>The table of confirmation, reset and email-change tokens (hashes only) and pending registrations.</summary>
    public string MailTokensTable { get; set; } = "MailTokens";
    /// <summary>The table of the per-address mail caps.</summary>
    public string MailQuotasTable { get; set; } = "MailQuotas";

    /// <summary>
    /// Prefix of the per-month tables of users' security events (<c>UserEvents202612</c>, partition = user id), so at most
    /// 57 characters; created by the app (<see href="storage-and-capacity.md">storage and capacity</see>).
    /// </summary>
    public string UserEventsTable { get; set; } = "UserEvents";

    /// <summary>
    /// Prefix of the per-day tables of the operators' fleet event log (<c>FleetEvents20261204</c>, 16 shard partitions), so
    /// at most 55 characters; created by the app (<see href="storage-and-capacity.md">storage and capacity</see>).
    /// </summary>
    public string FleetEventsTable { get; set; } = "FleetEvents";

    /// <summary>
    /// The flat app setting that names the mail queue, for the API and the Functions queue trigger
    /// (<c>%AUTH_EMAIL_QUEUE%</c>) alike. Flat, not <c>Auth__Storage__…</c>: on Flex Consumption the scale
    /// controller resolves a trigger's <c>%setting%</c> itself, and it has failed on names with ':'
    /// (azure-functions-host#8261).
    /// </summary>
    public const string EmailQueueSetting = "AUTH_EMAIL_QUEUE";

    /// <summary>The setting that named the queue before <see cref="EmailQueueSetting"/>; only read to refuse a disagreement.</summary>
    internal const string FormerEmailQueueSetting = Section + ":EmailQueue";

    /// <summary>The mail queue's name when <see cref="EmailQueueSetting"/> is not set.</summary>
    public const string DefaultEmailQueue = "auth-email";

    /// <summary>
    /// The queue mail requests go through, named by the flat setting <see cref="EmailQueueSetting"/>: 3-56 lowercase
    /// letters, digits and single hyphens; failed mail ends in <c>&lt;name&gt;-poison</c>, as the Functions queue trigger
    /// names it. Created at start-up in connection-string mode. One flat name for the API and the Functions
    /// queue trigger (<c>%AUTH_EMAIL_QUEUE%</c>), which Flex Consumption's scale controller resolves itself; the Functions
    /// app refuses to start without it. An older <c>Auth__Storage__EmailQueue</c> that names another queue is refused.
    /// </summary>
    [Setting(Name = EmailQueueSetting)]
    public string EmailQueue { get; set; } = DefaultEmailQueue;

    /// <summary>What <see cref="FormerEmailQueueSetting"/> says, when set.</summary>
    internal string? FormerEmailQueue { get; set; }

    /// <summary>
    /// Managed-identity mode: the queue service endpoint, <c>https://&lt;account&gt;.queue.core.windows.net</c> (the mail
    /// queue's). Required with <see cref="TableServiceUri"/>; with a connection string its queue endpoint is used, and this
    /// is refused.
    /// </summary>
    public Uri? QueueServiceUri { get; set; }

    /// <summary>
    /// The background pass of the <see href="upgrading.md">upgrade</see>: how many accounts of the previous release's
    /// email-keyed layout each scheduled clean-up moves to their own rows, resuming where the last run stopped, until one
    /// pass over the table is done. 0-100000; <c>0</c> turns it off (accounts are then moved when first written).
    /// </summary>
    public int MoveAccountsPerRun { get; set; } = 1000;

    /// <summary>
    /// Per-try network timeout in seconds (1-60); with <see cref="MaxRetries"/> it bounds how long a request waits on
    /// storage: an outage becomes a quick 503, never a hang.
    /// </summary>
    public int TimeoutSeconds { get; set; } = 3;
    /// <summary>Retries per storage call after the first try (0-5): the retry budget, with <see cref="TimeoutSeconds"/>.</summary>
    public int MaxRetries { get; set; } = 2;

    /// <summary>
    /// Whether this host enqueues mail (the auth service: <c>AddServerlessAuth</c>), so the queue settings are required; a
    /// host that only checks sessions (<c>AddSessionAuthentication</c>) needs none. Not a setting.
    /// </summary>
    internal bool MailQueueRequired { get; set; }

    /// <summary>Sees every table and queue request the app sends (tests and benchmarks count storage round trips with it); not a setting.</summary>
    internal HttpPipelinePolicy? PipelineObserver { get; set; }

    internal bool UsesConnectionString => !string.IsNullOrWhiteSpace(ConnectionString);

    /// <summary>Reads the queue name from its flat setting, outside the <c>Auth:Storage</c> section (runs after the section is bound).</summary>
    internal static void ReadEmailQueue(StorageOptions options, IConfiguration configuration)
    {
        options.EmailQueue = configuration[EmailQueueSetting] ?? DefaultEmailQueue;
        options.FormerEmailQueue = configuration[FormerEmailQueueSetting];
    }
}

internal sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        var failures = new List<string>();
        var hasConnectionString = options.UsesConnectionString;
        var hasUri = options.TableServiceUri is not null;
        if (hasConnectionString && hasUri)
        {
            failures.Add("Auth__Storage__ConnectionString and Auth__Storage__TableServiceUri are both set: set exactly one (connection string for Azurite, table service URI with a managed identity in Azure).");
        }
        else if (!hasConnectionString && !hasUri)
        {
            failures.Add("Auth__Storage__ConnectionString or Auth__Storage__TableServiceUri is required: set exactly one (e.g. UseDevelopmentStorage=true for Azurite).");
        }

        if (hasUri && options.TableServiceUri is { } uri && (!uri.IsAbsoluteUri || uri.Scheme != Uri.UriSchemeHttps))
        {
            failures.Add("Auth__Storage__TableServiceUri must be an absolute https URI such as https://<account>.table.core.windows.net.");
        }

        if (options.MailQueueRequired && hasUri && (options.QueueServiceUri is not { IsAbsoluteUri: true } queueUri || queueUri.Scheme != Uri.UriSchemeHttps))
        {
            failures.Add("Auth__Storage__QueueServiceUri is required with Auth__Storage__TableServiceUri: an absolute https URI such as https://<account>.queue.core.windows.net (the mail queue).");
        }
        else if (hasConnectionString && options.QueueServiceUri is not null)
        {
            failures.Add("Auth__Storage__QueueServiceUri only applies with Auth__Storage__TableServiceUri; with a connection string the queue endpoint comes from it.");
        }

        if (options.MailQueueRequired && !IsValidQueueName(options.EmailQueue))
        {
            failures.Add("AUTH_EMAIL_QUEUE must be 3-56 lowercase letters, digits or single hyphens, starting and ending with a letter or digit ('-poison' is appended for failed mail).");
        }

        // An older settings file names the queue twice; the trigger reads only AUTH_EMAIL_QUEUE, so a second name that
        // differs would split the API's queue from the sender's.
        if (options.FormerEmailQueue is { } former && former != options.EmailQueue)
        {
            failures.Add($"Auth__Storage__EmailQueue ('{former}') and AUTH_EMAIL_QUEUE ('{options.EmailQueue}') disagree: the mail queue is named by AUTH_EMAIL_QUEUE alone (the queue trigger reads it too); remove Auth__Storage__EmailQueue.");
        }

        if (hasConnectionString && !string.IsNullOrWhiteSpace(options.ManagedIdentityClientId))
        {
            failures.Add("Auth__Storage__ManagedIdentityClientId only applies with Auth__Storage__TableServiceUri, not with a connection string.");
        }

        foreach (var (setting, table) in new[]
        {
            ("Auth__Storage__UsersTable", options.UsersTable),
            ("Auth__Storage__RevocationsTable", options.RevocationsTable),
            ("Auth__Storage__LoginThrottleTable", options.LoginThrottleTable),
            ("Auth__Storage__SessionsTable", options.SessionsTable),
            ("Auth__Storage__MailTokensTable", options.MailTokensTable),
            ("Auth__Storage__MailQuotasTable", options.MailQuotasTable),
            ("Auth__Storage__UserEventsTable", options.UserEventsTable),
            ("Auth__Storage__FleetEventsTable", options.FleetEventsTable),
        })
        {
            if (!IsValidTableName(table))
            {
                failures.Add($"{setting} must be 3-63 letters or digits, starting with a letter.");
            }
        }

        // Revocation change-log tables are named <RevocationsTable>yyyyMMddHHmm: 12 more characters.
        if (options.RevocationsTable is { Length: > 51 })
        {
            failures.Add("Auth__Storage__RevocationsTable must be at most 51 characters (its per-minute change-log tables append 12 digits).");
        }

        // Event tables append their period: 6 digits (month) and 8 (day).
        if (options.UserEventsTable is { Length: > 57 } || options.FleetEventsTable is { Length: > 55 })
        {
            failures.Add("Auth__Storage__UserEventsTable must be at most 57 characters and Auth__Storage__FleetEventsTable at most 55 (their per-month and per-day tables append 6 and 8 digits).");
        }

        if (options.TimeoutSeconds is < 1 or > 60)
        {
            failures.Add("Auth__Storage__TimeoutSeconds must be between 1 and 60.");
        }

        if (options.MoveAccountsPerRun is < 0 or > 100000)
        {
            failures.Add("Auth__Storage__MoveAccountsPerRun must be between 0 (off) and 100000.");
        }

        if (options.MaxRetries is < 0 or > 5)
        {
            failures.Add("Auth__Storage__MaxRetries must be between 0 and 5.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    // Azure Queue naming rule (3-63: lowercase, digits, single hyphens inside), leaving room for "-poison".
    private static bool IsValidQueueName(string? name) =>
        name is { Length: >= 3 and <= 56 } && IsLowerOrDigit(name[0]) && IsLowerOrDigit(name[^1])
        && name.All(c => IsLowerOrDigit(c) || c == '-') && !name.Contains("--", StringComparison.Ordinal);

    private static bool IsLowerOrDigit(char c) => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c);

    // Azure Table naming rule: ^[A-Za-z][A-Za-z0-9]{2,62}$
    private static bool IsValidTableName(string? name) =>
        name is { Length: >= 3 and <= 63 } && char.IsAsciiLetter(name[0]) && name.All(char.IsAsciiLetterOrDigit);
}
