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
/// Revoked access tokens (<c>jti</c>), ended sessions (<c>sid</c>) and per-user "signed out
/// everywhere before T" cut-offs. Table Storage is the truth shared by all instances; each instance keeps the
/// live entries in memory and pulls new ones every sync interval, so verify needs no storage round
/// trip. A revocation made here is visible here at once; elsewhere within one interval. If syncing
/// stalls, lookups go to storage (fail closed) instead of trusting a stale list.
/// </summary>
internal sealed partial class RevocationList(
    AuthTables tables,
    TimeProvider time,
    IOptions<RevocationOptions> options,
    IOptions<JwtOptions> jwtOptions,
    ILogger<RevocationList> logger) : BackgroundService
{
    private const string SessionPrefix = "sid:";
    private const string UserPrefix = "usr:";

    // Rows older than the newest seen are re-read for this long, so a write that committed while a
    // previous query ran is never skipped.
    private static readonly TimeSpan Overlap = TimeSpan.FromSeconds(10);

    // jti, or "sid:" + session id -> when the entry can be forgotten (every token it covers has expired).
    private readonly ConcurrentDictionary<string, DateTimeOffset> revoked = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (DateTimeOffset Cutoff, DateTimeOffset ForgetAfter)> userCutoffs = new(StringComparer.Ordinal);

    // A session or user entry must outlive every access token it covers: the longest lifetime plus skew.
    private readonly TimeSpan coverage = jwtOptions.Value.Lifetime + TimeSpan.FromMinutes(2);
    private readonly TimeSpan interval = TimeSpan.FromMilliseconds(options.Value.SyncIntervalMilliseconds);
    private readonly TimeSpan staleAfter = TimeSpan.FromMilliseconds(options.Value.StaleAfterMilliseconds);
    private long lastSyncTicks = DateTimeOffset.MinValue.UtcTicks;
    private DateTimeOffset? newestSeen;

    public async ValueTask<bool> IsRevokedAsync(TokenSubject token, CancellationToken cancellationToken)
    {
        if (revoked.ContainsKey(token.TokenId) || IsSessionEnded(token.UserId, token.SessionId, token.IssuedAt))
        {
            return true;
        }

        if (time.GetUtcNow().UtcTicks - Interlocked.Read(ref lastSyncTicks) <= staleAfter.Ticks)
        {
            return false;
        }

        // Syncing has stalled: ask storage (one bounded query over the live partitions), never a stale list.
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey ge {PartitionFor(time.GetUtcNow() - TimeSpan.FromHours(1))} and (RowKey eq {token.TokenId} or RowKey eq {SessionPrefix + token.SessionId} or RowKey eq {UserPrefix + token.UserId})");
        await foreach (var row in tables.Revocations.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            Remember(row, time.GetUtcNow());
        }

        return revoked.ContainsKey(token.TokenId) || IsSessionEnded(token.UserId, token.SessionId, token.IssuedAt);
    }

    /// <summary>From memory only: whether a session, or everything its user started before a cut-off, has been ended.</summary>
    public bool IsSessionEnded(string userId, string sessionId, DateTimeOffset startedAt) =>
        revoked.ContainsKey(SessionPrefix + sessionId)
        || (userCutoffs.TryGetValue(userId, out var user) && startedAt < user.Cutoff);

    public async Task RevokeAsync(TokenSubject token, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(PartitionFor(token.ExpiresAt), token.TokenId) { ["ExpiresAt"] = token.ExpiresAt };
        await tables.Revocations.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken);
        revoked[token.TokenId] = token.ExpiresAt;
    }

    /// <summary>Every access token of the session stops working (its refresh token is deleted by the caller).</summary>
    public async Task RevokeSessionAsync(string sessionId, CancellationToken cancellationToken)
    {
        var forgetAfter = time.GetUtcNow() + coverage;
        var entity = new TableEntity(PartitionFor(forgetAfter), SessionPrefix + sessionId) { ["ExpiresAt"] = forgetAfter };
        await tables.Revocations.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken);
        revoked[SessionPrefix + sessionId] = forgetAfter;
    }

    /// <summary>
    /// Sign-out everywhere: every token the user was issued before now stops working. Tokens carry
    /// whole-second issue times, so one issued in the same second just after the cut-off ends too.
    /// </summary>
    public async Task RevokeUserAsync(string userId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var forgetAfter = now + coverage;
        var entity = new TableEntity(PartitionFor(forgetAfter), UserPrefix + userId) { ["ExpiresAt"] = forgetAfter, ["NotBefore"] = now };
        await tables.Revocations.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken);
        Remember(entity, now);
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
        await foreach (var row in tables.Revocations.QueryAsync<TableEntity>(filter, select: ["RowKey", "ExpiresAt", "NotBefore", "Timestamp"], cancellationToken: cancellationToken))
        {
            Remember(row, startedAt);
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

    private void Remember(TableEntity row, DateTimeOffset now)
    {
        var forgetAfter = row.GetDateTimeOffset("ExpiresAt") ?? now.AddDays(1);
        if (row.RowKey.StartsWith(UserPrefix, StringComparison.Ordinal))
        {
            var cutoff = row.GetDateTimeOffset("NotBefore") ?? now;
            userCutoffs.AddOrUpdate(row.RowKey[UserPrefix.Length..], (cutoff, forgetAfter),
                (_, known) => cutoff > known.Cutoff ? (cutoff, Max(forgetAfter, known.ForgetAfter)) : known);
        }
        else
        {
            revoked[row.RowKey] = forgetAfter;
        }
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private void Prune(DateTimeOffset now)
    {
        var horizon = now - TimeSpan.FromMinutes(5);
        foreach (var (key, forgetAfter) in revoked)
        {
            if (forgetAfter < horizon)
            {
                revoked.TryRemove(key, out _);
            }
        }

        foreach (var (userId, entry) in userCutoffs)
        {
            if (entry.ForgetAfter < horizon)
            {
                userCutoffs.TryRemove(userId, out _);
            }
        }
    }

    private static string PartitionFor(DateTimeOffset expiresAt) =>
        expiresAt.UtcDateTime.ToString("yyyyMMddHH", CultureInfo.InvariantCulture);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Revocation sync failed ({ErrorType}); verify falls back to storage reads until it recovers")]
    private static partial void LogSyncFailed(ILogger logger, string errorType);
}
