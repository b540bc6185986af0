using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Serverless.Auth.Storage;

namespace Serverless.Auth.Tokens;

/// <summary>
/// One revocation: a <c>jti</c>, <c>sid:</c> or <c>usr:</c> key, when memory can forget it and, for a user, the
/// cut-off. <see cref="KeepStoredUntil"/>: how long its keyed row must outlive that (a user's cut-off must
/// keep refusing refreshes of the sessions it ended for as long as any session can live).
/// </summary>
internal readonly record struct RevocationEntry(string Key, DateTimeOffset ForgetAfter, DateTimeOffset? NotBefore = null, DateTimeOffset? KeepStoredUntil = null);

/// <summary>
/// Where revocations live; the only code that knows the shapes. Each revocation is written twice:
/// <list type="bullet">
/// <item>a keyed row in the revocations table (partition = SHA-256 of the key, row = the key, so writes
/// spread evenly): the point reads of the fail-closed lookup;</item>
/// <item>a change-log row in the table of the minute it was written (<c>&lt;table&gt;yyyyMMddHHmm</c>,
/// partition = second + one hex digit of the key's hash, so a burst lands on 16 partitions per second):
/// what syncs read. A sync reads only the tables of the minutes since it last looked, from the
/// partition of the second it reached: O(new events) on Azure (a partition-key range) and on Azurite
/// (which scans whole tables, and these hold one minute). Expired minutes are dropped as whole tables.</item>
/// </list>
/// </summary>
internal sealed class RevocationStore(AuthTables tables, IOptions<StorageOptions> storage, IOptions<JwtOptions> jwt)
{
    private const string PeriodFormat = "yyyyMMddHHmm";

    /// <summary>An entry must outlive every access token it covers: the longest lifetime plus skew.</summary>
    public TimeSpan Coverage { get; } = jwt.Value.Lifetime + TimeSpan.FromMinutes(2);

    private static readonly TimeSpan Period = TimeSpan.FromMinutes(1);
    private readonly string logPrefix = storage.Value.RevocationsTable;
    private DateTimeOffset createdThrough = DateTimeOffset.MinValue;

    public async Task WriteAsync(RevocationEntry entry, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await Task.WhenAll(
            tables.Revocations.UpsertEntityAsync(ToEntity(entry, KeyedPartition(entry.Key), entry.Key, keyed: true), TableUpdateMode.Replace, cancellationToken),
            AppendAsync(entry, now, cancellationToken));
    }

    /// <summary>
    /// Creates this minute's and the next minute's change-log tables once per minute (the sync loop calls
    /// it), so writers rarely meet a missing table. A writer that does creates it itself.
    /// </summary>
    public async Task EnsureLogTablesAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        for (var period = Floor(now); period <= Floor(now) + Period; period += Period)
        {
            if (period > createdThrough)
            {
                await LogTable(period).CreateIfNotExistsAsync(cancellationToken);
                createdThrough = period;
            }
        }
    }

    /// <summary>The fail-closed lookup: one point read per key, together.</summary>
    public async Task<List<RevocationEntry>> FindAsync(IEnumerable<string> keys, CancellationToken cancellationToken)
    {
        var reads = keys.Select(key => tables.Revocations.GetEntityIfExistsAsync<TableEntity>(KeyedPartition(key), key, cancellationToken: cancellationToken)).ToList();
        await Task.WhenAll(reads);
        return [.. reads.Select(r => r.Result).Where(r => r.HasValue && r.Value is not null).Select(r => FromEntity(r.Value!.RowKey, r.Value))];
    }

    /// <summary>
    /// Every change-log entry written at or after <paramref name="from"/> (by the writer's clock): the minute
    /// tables from <paramref name="from"/>'s to <paramref name="now"/>'s, the first only from
    /// <paramref name="from"/>'s second on. (A writer whose clock runs ahead is read by the next sync,
    /// whose window starts before that minute.)
    /// </summary>
    public async Task<List<RevocationEntry>> ReadLogAsync(DateTimeOffset from, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var periods = new List<DateTimeOffset>();
        for (var period = Floor(from); period <= now; period += Period)
        {
            periods.Add(period);
        }

        // After a gap (start-up, an outage) most minutes had no revocation: list which tables exist first.
        if (periods.Count > 3)
        {
            var existing = await ExistingLogTablesAsync(cancellationToken);
            periods = [.. periods.Where(p => existing.Contains(p))];
        }

        var entries = new List<RevocationEntry>();
        foreach (var period in periods)
        {
            var filter = period == Floor(from) ? TableClient.CreateQueryFilter($"PartitionKey ge {Second(from)}") : null;
            try
            {
                await foreach (var row in LogTable(period).QueryAsync<TableEntity>(filter, select: ["RowKey", "ExpiresAt", "NotBefore"], cancellationToken: cancellationToken))
                {
                    entries.Add(FromEntity(row.RowKey, row));
                }
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                // No revocation in that minute: its table was never created.
            }
        }

        return entries;
    }

    /// <summary>Drops the change-log tables of minutes whose entries have all been forgotten, and deletes expired keyed rows.</summary>
    public async Task<int> PruneAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var horizon = now - Coverage - TimeSpan.FromMinutes(10);
        var pruned = 0;
        foreach (var period in await ExistingLogTablesAsync(cancellationToken))
        {
            if (period + Period < horizon)
            {
                await LogTable(period).DeleteAsync(cancellationToken);
                pruned++;
            }
        }

        // Keyed rows are one per partition, so each delete removes a whole partition.
        var expired = TableClient.CreateQueryFilter($"ExpiresAt lt {now - TimeSpan.FromMinutes(5)}");
        pruned += await StorageCleanup.DeleteAllAsync(tables.Revocations, expired, cancellationToken);
        return pruned;
    }

    /// <summary>The change-log table a writer uses in <paramref name="period"/> (benchmarks fill it directly).</summary>
    internal TableClient LogTable(DateTimeOffset period) =>
        tables.Service.GetTableClient(logPrefix + Floor(period).UtcDateTime.ToString(PeriodFormat, CultureInfo.InvariantCulture));

    /// <summary>
    /// A keyed row's partition: the SHA-256 of the key. Keys share the prefixes <c>sid:</c> / <c>usr:</c> and
    /// user ids are time-ordered (UUIDv7), so a storm's keys could sit side by side in one key range; their
    /// hashes spread over the whole key space.
    /// </summary>
    private static string KeyedPartition(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>A log row's partition: the second it was written, then one hex digit of the key's hash (16 partitions a second).</summary>
    internal static string LogPartition(string key, DateTimeOffset now) =>
        Second(now) + (SHA256.HashData(Encoding.UTF8.GetBytes(key))[0] & 0xF).ToString("x", CultureInfo.InvariantCulture);

    /// <param name="keyed">The keyed row: kept until <see cref="RevocationEntry.KeepStoredUntil"/> (its ExpiresAt, what pruning reads), with the memory's ForgetAfter beside it.</param>
    internal static TableEntity ToEntity(RevocationEntry entry, string partitionKey, string rowKey, bool keyed = false)
    {
        var entity = new TableEntity(partitionKey, rowKey) { ["ExpiresAt"] = entry.ForgetAfter };
        if (entry.NotBefore is { } notBefore)
        {
            entity["NotBefore"] = notBefore;
        }

        if (keyed && entry.KeepStoredUntil is { } keepUntil && keepUntil > entry.ForgetAfter)
        {
            entity["ExpiresAt"] = keepUntil;
            entity["ForgetAfter"] = entry.ForgetAfter;
        }

        return entity;
    }

    /// <summary>Only the change-log row (<see cref="WriteAsync"/> writes both).</summary>
    public async Task AppendAsync(RevocationEntry entry, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var table = LogTable(now);
        var entity = ToEntity(entry, LogPartition(entry.Key, now), entry.Key);
        try
        {
            await table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // The first revocation of this minute (on any instance) creates its table.
            await table.CreateIfNotExistsAsync(cancellationToken);
            await table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken);
        }
    }

    private async Task<HashSet<DateTimeOffset>> ExistingLogTablesAsync(CancellationToken cancellationToken)
    {
        // Names are the prefix and 12 digits; ':' sorts right after '9'.
        var filter = TableServiceClient.CreateQueryFilter($"TableName ge {logPrefix + "0"} and TableName lt {logPrefix + ":"}");
        var periods = new HashSet<DateTimeOffset>();
        await foreach (var table in tables.Service.QueryAsync(filter, cancellationToken: cancellationToken))
        {
            var suffix = table.Name[logPrefix.Length..];
            if (suffix.Length == PeriodFormat.Length
                && DateTime.TryParseExact(suffix, PeriodFormat, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var period))
            {
                periods.Add(new DateTimeOffset(period, TimeSpan.Zero));
            }
        }

        return periods;
    }

    private static RevocationEntry FromEntity(string key, TableEntity row) =>
        new(key, row.GetDateTimeOffset("ForgetAfter") ?? row.GetDateTimeOffset("ExpiresAt") ?? DateTimeOffset.MaxValue, row.GetDateTimeOffset("NotBefore"));

    private static DateTimeOffset Floor(DateTimeOffset t) => new(t.UtcTicks - t.UtcTicks % Period.Ticks, TimeSpan.Zero);

    private static string Second(DateTimeOffset t) => t.UtcDateTime.ToString("ss", CultureInfo.InvariantCulture);
}
