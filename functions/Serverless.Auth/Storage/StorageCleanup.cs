using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Auth.Accounts;
using Serverless.Auth.Email;
using Serverless.Auth.Sessions;
using Serverless.Auth.Throttling;
using Serverless.Auth.Tokens;

namespace Serverless.Auth.Storage;

/// <summary>
/// Deletes rows no request will read again: expired sessions, revocation change-log tables and keyed rows whose tokens
/// have all expired, login-throttle rows whose backoff ended long ago, expired mail tokens, mail quota rows a day old, and security
/// event tables past their retention. Runs on a schedule: a
/// timer-triggered function in Azure, <see cref="StorageCleanupService"/> in the standalone host.
/// </summary>
internal sealed partial class StorageCleanup(
    AuthTables tables,
    UserRepository users,
    IOptions<StorageOptions> storage,
    SessionStore sessions,
    RevocationStore revocationStore,
    Events.EventLog eventLog,
    TimeProvider time,
    IOptions<ThrottlingOptions> throttling,
    ILogger<StorageCleanup> logger)
{
    /// <summary>How often the standalone host runs it; <see cref="ServerlessAuthExtensions.CleanupSchedule"/> is the same for the Functions timer.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(15);

    // A throttle row is kept this long after its last failure, so backoff state outlives any window.
    private readonly TimeSpan throttleRetention = TimeSpan.FromSeconds(Math.Max(throttling.Value.MaxDelaySeconds, 86400));

    public async Task<(int Sessions, int Revocations, int Throttles, int MailTokens)> RunAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var expiredSessions = await sessions.DeleteExpiredAsync(now, cancellationToken);

        var revocations = await revocationStore.PruneAsync(now, cancellationToken);

        var idleThrottles = TableClient.CreateQueryFilter($"Timestamp lt {now - throttleRetention} and BlockedUntil lt {now}");
        var throttles = await DeleteAllAsync(tables.LoginThrottle, idleThrottles, cancellationToken);

        var mailTokens = await DeleteAllAsync(tables.MailTokens, MailTokenStore.ExpiredFilter(now), cancellationToken);
        var mailQuotas = await DeleteAllAsync(tables.MailQuotas, MailQuota.ExpiredFilter(now), cancellationToken);
        LogMailQuotasCleaned(logger, mailQuotas);

        // Retention (Auth__Events__RetentionDays): whole month and day tables of events, never row by row.
        var eventTables = await eventLog.PruneAsync(now, cancellationToken);
        await eventLog.EnsureTablesAheadAsync(now, cancellationToken);
        if (eventTables > 0)
        {
            LogEventTablesDropped(logger, eventTables);
        }

        var moved = await users.MoveLegacyAccountsAsync(storage.Value.MoveAccountsPerRun, cancellationToken);
        if (moved > 0)
        {
            LogAccountsMoved(logger, moved);
        }

        LogCleaned(logger, expiredSessions, revocations, throttles, mailTokens);
        return (expiredSessions, revocations, throttles, mailTokens);
    }

    /// <summary>Deletes every row the filter matches; returns how many this call deleted.</summary>
    internal static async Task<int> DeleteAllAsync(TableClient table, string filter, CancellationToken cancellationToken)
    {
        var deleted = 0;
        await foreach (var row in table.QueryAsync<TableEntity>(filter, select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken))
        {
            try
            {
                await table.DeleteEntityAsync(row.PartitionKey, row.RowKey, ETag.All, cancellationToken);
                deleted++;
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                // Another instance's clean-up got there first.
            }
        }

        return deleted;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Storage clean-up moved {Moved} accounts of the previous release's layout to their own rows")]
    private static partial void LogAccountsMoved(ILogger logger, int moved);

    [LoggerMessage(Level = LogLevel.Information, Message = "Storage clean-up dropped {Tables} security event tables past Auth__Events__RetentionDays")]
    private static partial void LogEventTablesDropped(ILogger logger, int tables);

    [LoggerMessage(Level = LogLevel.Information, Message = "Storage clean-up deleted {MailQuotas} mail quota rows")]
    private static partial void LogMailQuotasCleaned(ILogger logger, int mailQuotas);

    [LoggerMessage(Level = LogLevel.Information, Message = "Storage clean-up deleted {Sessions} expired sessions, {Revocations} revocation tables and rows, {Throttles} throttle rows, {MailTokens} mail tokens")]
    private static partial void LogCleaned(ILogger logger, int sessions, int revocations, int throttles, int mailTokens);
}

/// <summary>The standalone host's schedule for <see cref="StorageCleanup"/> (Azure uses a timer-triggered function).</summary>
internal sealed partial class StorageCleanupService(StorageCleanup cleanup, TimeProvider time, ILogger<StorageCleanupService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(StorageCleanup.Interval, time, stoppingToken);
                await cleanup.RunAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (StorageFailure.IsUnavailable(e))
            {
                LogFailed(logger, StorageFailure.Describe(e));
            }
            catch (Exception e)
            {
                // Anything else too: an exception leaving ExecuteAsync stops the whole host (BackgroundServiceExceptionBehavior).
                LogError(logger, e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storage clean-up failed ({ErrorType}); it runs again at the next interval")]
    private static partial void LogFailed(ILogger logger, string errorType);

    [LoggerMessage(Level = LogLevel.Error, Message = "Storage clean-up failed unexpectedly; it runs again at the next interval")]
    private static partial void LogError(ILogger logger, Exception exception);
}
