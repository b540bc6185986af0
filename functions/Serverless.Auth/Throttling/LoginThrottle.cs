using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Serverless.Auth.Accounts;
using Serverless.Auth.Storage;

namespace Serverless.Auth.Throttling;

/// <summary>What the backoff is counted against: an account (untrusted clients) or one trusted device.</summary>
internal readonly record struct ThrottleKey(string PartitionKey, string RowKey)
{
    public static ThrottleKey Account(string canonicalEmail) => new(EmailAddress.StorageKey(canonicalEmail), "login");

    public static ThrottleKey Device(string deviceId) => new(deviceId, "device");

    /// <summary>Second-factor checks of one account: a counter of their own, which a right password does not clear.</summary>
    public static ThrottleKey SecondFactor(string userId) => new(userId, "mfa");
}

/// <summary>
/// A password check may run (its sequence number clears it on success), or must wait. <see cref="Written"/>:
/// the row as the reservation left it, so clearing can try its conditional write without reading first.
/// </summary>
internal readonly record struct Reservation(long Sequence, TimeSpan RetryAfter, ThrottleRow? Written = null)
{
    public bool Granted => RetryAfter == TimeSpan.Zero;
}

/// <summary>One backoff row as stored: checks reserved, the last one cleared, blocked until when; its ETag (default: no row).</summary>
internal sealed record ThrottleRow(long Reserved, long ClearedThrough, DateTimeOffset BlockedUntil, ETag ETag);

/// <summary>
/// Failed-login backoff in Table Storage, so it holds across instances; accounts are keyed like the
/// users table, by the hash of the canonical email. Every password check is
/// reserved (counted as a failure) before its outcome is used, with an ETag compare-and-swap: however
/// many requests arrive at once, on however many instances, at most <c>FreeFailures</c> outcomes are
/// revealed before the backoff applies. A success clears its own reservation and the ones before it, never a later
/// one (a failure racing a success still counts). Kept for any email, registered or not, so a 429
/// never reveals that an account exists.
/// </summary>
internal sealed class LoginThrottle(AuthTables tables, TimeProvider time, IOptions<ThrottlingOptions> options)
{
    private const int MaxConcurrencyRetries = 10;
    private static readonly DateTimeOffset NotBlocked = DateTimeOffset.UnixEpoch;

    // So many requests racing for one key that a reservation kept losing: they are a burst; wait a moment.
    private static readonly TimeSpan ContendedWait = TimeSpan.FromSeconds(1);
    private readonly ThrottlingOptions settings = options.Value;

    /// <summary>How long a check must wait, given the key's row as read: zero when it may run.</summary>
    public TimeSpan WaitFor(ThrottleRow row)
    {
        var wait = row.BlockedUntil - time.GetUtcNow();
        return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
    }

    /// <param name="known">The key's row as just read, if the caller has it: the first write is tried on it without reading again.</param>
    public async Task<Reservation> ReserveAsync(ThrottleKey key, ThrottleRow? known, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxConcurrencyRetries; attempt++)
        {
            var row = known ?? await ReadAsync(key, cancellationToken);
            known = null;
            var wait = WaitFor(row);
            if (wait > TimeSpan.Zero)
            {
                return new Reservation(0, wait);
            }

            var reserved = row.Reserved + 1;
            var next = row with { Reserved = reserved, BlockedUntil = BlockedUntil(reserved - row.ClearedThrough) };
            if (await TryWriteAsync(key, next, cancellationToken) is { } etag)
            {
                return new Reservation(reserved, TimeSpan.Zero, next with { ETag = etag });
            }
        }

        return new Reservation(0, ContendedWait);
    }

    /// <summary>The reserved check succeeded: forget the failures up to and including it.</summary>
    public async Task ClearAsync(ThrottleKey key, Reservation reservation, CancellationToken cancellationToken)
    {
        // Usually nothing has changed since the reservation's write: try that row first, read only after losing a race.
        var known = reservation.Written;
        for (var attempt = 0; attempt < MaxConcurrencyRetries; attempt++)
        {
            var row = known ?? await ReadAsync(key, cancellationToken);
            known = null;
            if (row.ETag == default || row.ClearedThrough >= reservation.Sequence)
            {
                return;
            }

            var cleared = Math.Min(reservation.Sequence, row.Reserved);
            var failures = row.Reserved - cleared;
            var next = row with { ClearedThrough = cleared, BlockedUntil = failures >= settings.FreeFailures ? row.BlockedUntil : NotBlocked };
            if (await TryWriteAsync(key, next, cancellationToken) is not null)
            {
                return;
            }
        }
    }

    /// <summary>Forgets all backoff state of the key (a new account, a deleted one).</summary>
    public async Task ResetAsync(ThrottleKey key, CancellationToken cancellationToken)
    {
        try
        {
            await tables.LoginThrottle.DeleteEntityAsync(key.PartitionKey, key.RowKey, ETag.All, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // Nothing recorded: nothing to reset.
        }
    }

    /// <summary>
    /// The backoff of <paramref name="from"/> now also holds for <paramref name="to"/> (an email change: a guesser
    /// does not start afresh under the new address). What <paramref name="to"/> counted before belonged to no account.
    /// </summary>
    public async Task CopyAsync(ThrottleKey from, ThrottleKey to, CancellationToken cancellationToken)
    {
        var row = await ReadAsync(from, cancellationToken);
        if (row.ETag == default)
        {
            await ResetAsync(to, cancellationToken);
            return;
        }

        await tables.LoginThrottle.UpsertEntityAsync(ToEntity(to, row), TableUpdateMode.Replace, cancellationToken);
    }

    /// <summary>The key's row as stored now; no row reads as nothing counted.</summary>
    public async Task<ThrottleRow> ReadAsync(ThrottleKey key, CancellationToken cancellationToken)
    {
        var row = await tables.LoginThrottle.GetEntityIfExistsAsync<TableEntity>(key.PartitionKey, key.RowKey, cancellationToken: cancellationToken);
        return row.HasValue && row.Value is { } entity
            ? new ThrottleRow(entity.GetInt64("Reserved") ?? 0, entity.GetInt64("ClearedThrough") ?? 0, entity.GetDateTimeOffset("BlockedUntil") ?? NotBlocked, entity.ETag)
            : new ThrottleRow(0, 0, NotBlocked, default);
    }

    /// <summary>Insert when there was no row, else replace if unchanged since read: the new ETag, or null when another request won.</summary>
    private async Task<ETag?> TryWriteAsync(ThrottleKey key, ThrottleRow row, CancellationToken cancellationToken)
    {
        var entity = ToEntity(key, row);
        try
        {
            var response = row.ETag == default
                ? await tables.LoginThrottle.AddEntityAsync(entity, cancellationToken)
                : await tables.LoginThrottle.UpdateEntityAsync(entity, row.ETag, TableUpdateMode.Replace, cancellationToken);
            return response.Headers.ETag ?? throw new InvalidOperationException("Table storage answered a write without an ETag.");
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412 or 404)
        {
            // 409: another request inserted first; 412: changed since read; 404: deleted since read
            // (clean-up or a reset). Read again and count on top of what is there now.
            return null;
        }
    }

    private static TableEntity ToEntity(ThrottleKey key, ThrottleRow row) => new(key.PartitionKey, key.RowKey)
    {
        ["Reserved"] = row.Reserved,
        ["ClearedThrough"] = row.ClearedThrough,
        ["BlockedUntil"] = row.BlockedUntil,
    };

    private DateTimeOffset BlockedUntil(long failures)
    {
        if (failures < settings.FreeFailures)
        {
            return NotBlocked;
        }

        var doublings = (int)Math.Min(failures - settings.FreeFailures, 30);
        var delay = Math.Min(settings.BaseDelaySeconds * Math.Pow(2, doublings), settings.MaxDelaySeconds);
        return time.GetUtcNow().AddSeconds(delay);
    }
}
