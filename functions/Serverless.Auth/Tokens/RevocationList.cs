using System.Collections.Concurrent;
using Azure;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Auth.Storage;

namespace Serverless.Auth.Tokens;

/// <summary>
/// Revoked access tokens (<c>jti</c>), ended sessions (<c>sid</c>) and per-user "signed out
/// everywhere before T" cut-offs. Table Storage is the truth shared by all instances
/// (<see cref="RevocationStore"/>); each instance keeps the live entries in memory and pulls only the
/// entries written since its last look every sync interval, so verify needs no storage round trip and a
/// sync costs what changed, not what is live. A revocation made here is visible here at once; elsewhere
/// within one interval. If syncing stalls, lookups go to storage (fail closed: three point reads)
/// instead of trusting a stale list.
/// </summary>
internal sealed partial class RevocationList(
    RevocationStore store,
    TimeProvider time,
    IOptions<RevocationOptions> options,
    ILogger<RevocationList> logger) : BackgroundService
{
    private const string SessionPrefix = "sid:";
    private const string UserPrefix = "usr:";

    // Each sync re-reads the entries stamped this long before the previous one began: a write stamped by
    // a writer whose clock is behind, or still in flight when that sync read, is not skipped (a write
    // slower than half of this is logged again, below).
    private static readonly TimeSpan Overlap = TimeSpan.FromSeconds(5);

    // Forgetting expired entries walks all of them: once a minute, so a sync's cost stays with what is new.
    private static readonly TimeSpan PruneEvery = TimeSpan.FromMinutes(1);

    // jti, or "sid:" + session id -> when the entry can be forgotten (every token it covers has expired).
    private readonly ConcurrentDictionary<string, DateTimeOffset> revoked = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (DateTimeOffset Cutoff, DateTimeOffset ForgetAfter)> userCutoffs = new(StringComparer.Ordinal);

    private readonly TimeSpan interval = TimeSpan.FromMilliseconds(options.Value.SyncIntervalMilliseconds);
    private readonly TimeSpan staleAfter = TimeSpan.FromMilliseconds(options.Value.StaleAfterMilliseconds);
    private long lastSyncTicks = DateTimeOffset.MinValue.UtcTicks;
    private DateTimeOffset? syncedFrom;
    private DateTimeOffset prunedAt = DateTimeOffset.MinValue;
    private long entriesRead;

    /// <summary>Whether a sync has completed since start-up (tests wait for it).</summary>
    internal bool HasSynced => Interlocked.Read(ref lastSyncTicks) != DateTimeOffset.MinValue.UtcTicks;

    /// <summary>Change-log entries read by syncs since start-up (the fleet benchmark's storage reads).</summary>
    internal long EntriesRead => Interlocked.Read(ref entriesRead);

    public async ValueTask<bool> IsRevokedAsync(TokenSubject token, CancellationToken cancellationToken)
    {
        if (revoked.ContainsKey(token.TokenId) || IsSessionEnded(token.UserId, token.SessionId, token.SessionStartedAt))
        {
            return true;
        }

        if (time.GetUtcNow().UtcTicks - Interlocked.Read(ref lastSyncTicks) <= staleAfter.Ticks)
        {
            return false;
        }

        // Syncing has stalled: ask storage (a point read per key), never a stale list.
        await LoadAsync([token.TokenId, SessionPrefix + token.SessionId, UserPrefix + token.UserId], cancellationToken);
        return revoked.ContainsKey(token.TokenId) || IsSessionEnded(token.UserId, token.SessionId, token.SessionStartedAt);
    }

    /// <summary>From memory only: whether a session, or everything its user started before a cut-off, has been ended.</summary>
    public bool IsSessionEnded(string userId, string sessionId, DateTimeOffset startedAt) =>
        IsSessionRevoked(sessionId)
        || (userCutoffs.TryGetValue(userId, out var user) && startedAt < user.Cutoff);

    // "sid:" + the session id, looked up on every authenticated request: the key is put together on the stack.
    private bool IsSessionRevoked(string sessionId)
    {
        const int MaxStackKey = 256;
        if (SessionPrefix.Length + sessionId.Length > MaxStackKey)
        {
            return revoked.ContainsKey(SessionPrefix + sessionId);
        }

        Span<char> key = stackalloc char[SessionPrefix.Length + sessionId.Length];
        SessionPrefix.CopyTo(key);
        sessionId.CopyTo(key[SessionPrefix.Length..]);
        return revoked.GetAlternateLookup<ReadOnlySpan<char>>().ContainsKey(key);
    }

    /// <summary>
    /// Whether a cut-off of the user ends a session started at <paramref name="startedAt"/>, asking storage (one
    /// point read): for a refresh that has just rotated, so a sign-out everywhere written on another instance a
    /// moment ago, not yet synced here, is not missed; and after memory has forgotten the cut-off.
    /// </summary>
    public async Task<bool> IsCutOffInStorageAsync(string userId, DateTimeOffset startedAt, CancellationToken cancellationToken)
    {
        foreach (var entry in await store.FindAsync([UserPrefix + userId], cancellationToken))
        {
            Remember(entry);
            if (startedAt < (entry.NotBefore ?? entry.ForgetAfter))
            {
                return true;
            }
        }

        return false;
    }

    private async Task LoadAsync(string[] keys, CancellationToken cancellationToken)
    {
        foreach (var entry in await store.FindAsync(keys, cancellationToken))
        {
            Remember(entry);
        }
    }

    public Task RevokeAsync(TokenSubject token, CancellationToken cancellationToken) =>
        WriteAsync(new RevocationEntry(token.TokenId, token.ExpiresAt), cancellationToken);

    /// <summary>Every access token of the session stops working (its refresh token is deleted by the caller).</summary>
    public Task RevokeSessionAsync(string sessionId, CancellationToken cancellationToken) =>
        WriteAsync(new RevocationEntry(SessionPrefix + sessionId, time.GetUtcNow() + store.Coverage), cancellationToken);

    /// <summary>
    /// Sign-out everywhere: every session of the user that started before now ends, with every access token
    /// it issued or will issue (tokens carry their session's start, <c>auth_time</c>, so one minted by a
    /// refresh racing this call ends too). Returns the cut-off: a session started at or after it lives.
    /// Memory forgets the cut-off once every access token it covers has expired; its keyed row stays for
    /// <paramref name="sessionLifetime"/>, so a session row that escaped deletion (its login racing this
    /// call) is still refused by a refresh's storage check (<see cref="IsCutOffInStorageAsync"/>).
    /// </summary>
    public async Task<DateTimeOffset> RevokeUserAsync(string userId, TimeSpan sessionLifetime, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var cutoff = Milliseconds.Ceiling(now);
        await WriteAsync(new RevocationEntry(UserPrefix + userId, now + store.Coverage, cutoff, now + sessionLifetime), cancellationToken);
        return cutoff;
    }

    /// <summary>One pull of the entries written since the last one; the background loop calls it every interval.</summary>
    public async Task SyncAsync(CancellationToken cancellationToken)
    {
        var startedAt = time.GetUtcNow();
        await store.EnsureLogTablesAsync(startedAt, cancellationToken);
        // The first sync (and one after a long outage) loads everything still live; later ones only what is new.
        var oldestLive = startedAt - store.Coverage;
        var from = syncedFrom is { } since && since - Overlap > oldestLive ? since - Overlap : oldestLive;
        var entries = await store.ReadLogAsync(from, startedAt, cancellationToken);
        foreach (var entry in entries)
        {
            Remember(entry);
        }

        Interlocked.Add(ref entriesRead, entries.Count);
        syncedFrom = startedAt;
        Interlocked.Exchange(ref lastSyncTicks, startedAt.UtcTicks);
        if (startedAt - prunedAt >= PruneEvery)
        {
            Prune(startedAt);
            prunedAt = startedAt;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The longest pause between syncs that keep failing: short, since verify reads storage until one succeeds.
        var maxBackoff = TimeSpan.FromSeconds(5);
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var started = time.GetTimestamp();
            try
            {
                await SyncAsync(stoppingToken);
                failures = 0;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (StorageFailure.IsUnavailable(e) || e is RequestFailedException { Status: 404 })
            {
                failures++;
                LogSyncFailed(logger, StorageFailure.Describe(e));
            }
            catch (Exception e)
            {
                // Whatever else goes wrong, the loop goes on: an exception leaving ExecuteAsync stops the whole host
                // (BackgroundServiceExceptionBehavior). Logged whole; verify stays fail-closed meanwhile.
                failures++;
                LogSyncError(logger, e);
            }

            // Syncs start one interval apart (a slow sync does not stretch how long a revocation takes to
            // arrive), with a short pause after one that overran, so a struggling store is not hammered; after
            // failures the pause doubles, up to maxBackoff.
            var wait = interval - time.GetElapsedTime(started);
            var backoff = interval * Math.Pow(2, Math.Min(failures - 1, 16));
            var pause = failures == 0 ? interval / 4 : backoff < maxBackoff ? backoff : maxBackoff;
            try
            {
                await Task.Delay(wait > pause ? wait : pause, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task WriteAsync(RevocationEntry entry, CancellationToken cancellationToken)
    {
        var stamped = time.GetUtcNow();
        await store.WriteAsync(entry, stamped, cancellationToken);
        Remember(entry);
        // A write that took long (retries) may have committed after other instances' windows passed its
        // stamp: log it again under a fresh one.
        if (time.GetUtcNow() - stamped > Overlap / 2)
        {
            await store.AppendAsync(entry, time.GetUtcNow(), cancellationToken);
        }
    }

    private void Remember(RevocationEntry entry)
    {
        if (entry.Key.StartsWith(UserPrefix, StringComparison.Ordinal))
        {
            var cutoff = entry.NotBefore ?? entry.ForgetAfter;
            userCutoffs.AddOrUpdate(entry.Key[UserPrefix.Length..], (cutoff, entry.ForgetAfter),
                (_, known) => cutoff > known.Cutoff ? (cutoff, Max(entry.ForgetAfter, known.ForgetAfter)) : known);
        }
        else
        {
            revoked[entry.Key] = entry.ForgetAfter;
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Revocation sync failed ({ErrorType}); verify falls back to storage reads until it recovers")]
    private static partial void LogSyncFailed(ILogger logger, string errorType);

    [LoggerMessage(Level = LogLevel.Error, Message = "Revocation sync failed unexpectedly; retrying, and verify falls back to storage reads until it recovers")]
    private static partial void LogSyncError(ILogger logger, Exception exception);
}
