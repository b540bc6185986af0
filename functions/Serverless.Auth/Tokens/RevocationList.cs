using System.Collections.Concurrent;
using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Auth.Storage;

namespace Serverless.Auth.Tokens;

/// <summary>
/// Revoked token ids. Table Storage is the truth shared by all instances; each instance keeps the
/// live entries in memory and pulls new ones every sync interval, so verify needs no storage round
/// trip. A revocation made here is visible here at once; elsewhere within one interval. If syncing
/// stalls, lookups go to storage (fail closed) instead of trusting a stale list.
/// </summary>
internal sealed partial class RevocationList(
    AuthTables tables,
    TimeProvider time,
    IOptions<RevocationOptions> options,
    ILogger<RevocationList> logger) : BackgroundService
{
    // Rows older than the newest seen are re-read for this long, so a write that committed while a
    // previous query ran is never skipped.
    private static readonly TimeSpan Overlap = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, DateTimeOffset> revoked = new(StringComparer.Ordinal);
    private readonly TimeSpan interval = TimeSpan.FromMilliseconds(options.Value.SyncIntervalMilliseconds);
    private readonly TimeSpan staleAfter = TimeSpan.FromMilliseconds(options.Value.StaleAfterMilliseconds);
    private long lastSyncTicks = DateTimeOffset.MinValue.UtcTicks;
    private DateTimeOffset? newestSeen;

    public async ValueTask<bool> IsRevokedAsync(TokenSubject token, CancellationToken cancellationToken)
    {
        if (revoked.ContainsKey(token.TokenId))
        {
            return true;
        }

        if (time.GetUtcNow().UtcTicks - Interlocked.Read(ref lastSyncTicks) <= staleAfter.Ticks)
        {
            return false;
        }

        var row = await tables.Revocations.GetEntityIfExistsAsync<TableEntity>(
            PartitionFor(token.ExpiresAt), token.TokenId, select: ["RowKey"], cancellationToken);
        return row.HasValue;
    }

    public async Task RevokeAsync(TokenSubject token, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(PartitionFor(token.ExpiresAt), token.TokenId) { ["ExpiresAt"] = token.ExpiresAt };
        await tables.Revocations.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken);
        revoked[token.TokenId] = token.ExpiresAt;
    }

    /// <summary>One pull of new revocations; the background loop calls it every interval.</summary>
    public async Task SyncAsync(CancellationToken cancellationToken)
    {
        var startedAt = time.GetUtcNow();
        // Partitions are expiry hours: expired tokens' partitions are never read again.
        var filter = TableClient.CreateQueryFilter($"PartitionKey ge {PartitionFor(startedAt - TimeSpan.FromHours(1))}");
        if (newestSeen is { } since)
        {
            filter += " and " + TableClient.CreateQueryFilter($"Timestamp ge {since - Overlap}");
        }

        var newest = newestSeen;
        await foreach (var row in tables.Revocations.QueryAsync<TableEntity>(filter, select: ["RowKey", "ExpiresAt", "Timestamp"], cancellationToken: cancellationToken))
        {
            revoked[row.RowKey] = row.GetDateTimeOffset("ExpiresAt") ?? startedAt.AddDays(1);
            if (row.Timestamp > newest)
            {
                newest = row.Timestamp;
            }
        }

        newestSeen = newest;
        Interlocked.Exchange(ref lastSyncTicks, startedAt.UtcTicks);
        Prune(startedAt);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SyncAsync(stoppingToken);
            }
            catch (Exception e) when (StorageFailure.IsUnavailable(e) || e is RequestFailedException { Status: 404 })
            {
                LogSyncFailed(logger, e.GetType().Name);
            }

            try
            {
                await Task.Delay(interval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var (tokenId, expiresAt) in revoked)
        {
            if (expiresAt < now - TimeSpan.FromMinutes(5))
            {
                revoked.TryRemove(tokenId, out _);
            }
        }
    }

    private static string PartitionFor(DateTimeOffset expiresAt) =>
        expiresAt.UtcDateTime.ToString("yyyyMMddHH", CultureInfo.InvariantCulture);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Revocation sync failed ({ErrorType}); verify falls back to storage reads until it recovers")]
    private static partial void LogSyncFailed(ILogger logger, string errorType);
}
