using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Serverless.Auth.Storage;

namespace Serverless.Auth.Events;

/// <summary>One stored event, as the activity and admin routes read it back.</summary>
internal sealed record StoredEvent(
    string Type, DateTimeOffset At, string UserId, string? SessionId, string? IpPrefix, string? UserAgent, string Outcome, string? Detail, string? Actor, string Key);

/// <summary>
/// Where security events are stored; the only code that knows the shapes. Each event is written twice, both at once:
/// <list type="bullet">
/// <item>the user's log: tables per month (<c>&lt;UserEventsTable&gt;yyyyMM</c>), partition = the user id, row = the
/// time inverted (newest first) and a random suffix, so a user's recent activity is one partition query and
/// deleting an account deletes its partitions;</item>
/// <item>the fleet log for operators: tables per day (<c>&lt;FleetEventsTable&gt;yyyyMMdd</c>), partition = one of
/// <see cref="Shards"/> shards chosen at random per event, row = the time and a random suffix (oldest first), so a
/// burst of sign-ins spreads evenly and no partition takes more than about 1/16 of the writes.</item>
/// </list>
/// Retention drops whole tables (<see cref="PruneAsync"/>). Tables are made ahead (<see cref="EnsureTablesAheadAsync"/>), and
/// by the first writer of a period that finds its table missing.
/// </summary>
internal sealed class EventLog(AuthTables tables, IOptions<StorageOptions> storage, IOptions<AuthEventOptions> options)
{
    public const int Shards = 16;
    private const string MonthFormat = "yyyyMM";
    private const string DayFormat = "yyyyMMdd";

    private readonly string userPrefix = storage.Value.UserEventsTable;
    private readonly string fleetPrefix = storage.Value.FleetEventsTable;
    private readonly ConcurrentDictionary<string, Task> created = new(StringComparer.Ordinal);

    public TimeSpan Retention { get; } = TimeSpan.FromDays(options.Value.RetentionDays);

    /// <summary>Writes the event to the user's log (when it has a user) and the fleet log, at once.</summary>
    public Task WriteAsync(AuthEvent authEvent, CancellationToken cancellationToken)
    {
        var at = authEvent.OccurredAt.ToUniversalTime();
        var suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var fleet = Entity(authEvent, Shard(), FleetRow(at, suffix));
        fleet["UserId"] = authEvent.UserId;
        var toFleet = InsertAsync(FleetTable(at), fleet, cancellationToken);
        // A deletion's own event goes to the fleet log only (the user's log was just deleted with the account), and so
        // does an admin's read.
        if (authEvent.UserId.Length == 0 || authEvent.Kind == AuthEventKind.AccountDeleted || AuthEventTypes.IsAdminRead(authEvent.Kind))
        {
            return toFleet;
        }

        // An admin's action shows in the user's activity without the operator's address and browser.
        var own = authEvent.Actor is null ? authEvent : authEvent with { ClientIp = null, UserAgent = null };
        var toUser = InsertAsync(UserTable(at), Entity(own, authEvent.UserId, UserRow(at, suffix)), cancellationToken);
        return Task.WhenAll(toUser, toFleet);
    }

    /// <summary>This month's and the next month's user tables, today's and tomorrow's fleet tables: made ahead, so requests rarely meet a missing one.</summary>
    public IReadOnlyList<TableClient> TablesAhead(DateTimeOffset now) =>
        [UserTable(now), UserTable(MonthOf(now).AddMonths(1)), FleetTable(now), FleetTable(now.AddDays(1))];

    /// <summary>Creates <see cref="TablesAhead"/> (the clean-up runs it every interval; a writer that meets a missing table creates it itself).</summary>
    public Task EnsureTablesAheadAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        Task.WhenAll(TablesAhead(now).Select(CreateOnceAsync));

    /// <summary>The user's newest events within retention, newest first, at most <paramref name="max"/>.</summary>
    public async Task<List<StoredEvent>> ReadUserAsync(string userId, DateTimeOffset now, int max, CancellationToken cancellationToken)
    {
        var oldest = now - Retention;
        var found = new List<StoredEvent>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {userId} and At ge {oldest}");
        for (var month = MonthOf(now); month >= MonthOf(oldest) && found.Count < max; month = month.AddMonths(-1))
        {
            try
            {
                await foreach (var row in UserTable(month).QueryAsync<TableEntity>(filter, maxPerPage: max, cancellationToken: cancellationToken))
                {
                    found.Add(Read(row, userId));
                    if (found.Count == max)
                    {
                        break;
                    }
                }
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                // No event that month: its table was never created.
            }
        }

        return found;
    }

    /// <summary>
    /// One page of the fleet log, oldest first: events at or after <paramref name="since"/> (or after the row
    /// <paramref name="after"/>, a previous page's last key), of <paramref name="type"/> if given. The last key is the
    /// next page's start when the page is full.
    /// </summary>
    public async Task<(List<StoredEvent> Events, string? Next)> ReadFleetAsync(
        DateTimeOffset since, string? after, string? type, DateTimeOffset now, int pageSize, CancellationToken cancellationToken)
    {
        var start = since < now - Retention ? now - Retention : since;
        var fromKey = after ?? FleetRow(start, "");
        if (!TryDayOfKey(fromKey, out var day))
        {
            return ([], null);
        }

        var existing = await ExistingAsync(fleetPrefix, DayFormat.Length, cancellationToken);
        var page = new List<StoredEvent>();
        for (; day <= now.UtcDateTime.Date && page.Count < pageSize; day = day.AddDays(1))
        {
            var table = fleetPrefix + day.ToString(DayFormat, CultureInfo.InvariantCulture);
            if (!existing.Contains(table))
            {
                continue;
            }

            var filter = TableClient.CreateQueryFilter($"RowKey gt {fromKey}");
            if (type is not null)
            {
                filter += " and " + TableClient.CreateQueryFilter($"Type eq {type}");
            }

            // Each shard is in time order: the page is the first rows of the merged shards.
            var want = pageSize - page.Count;
            var shards = Enumerable.Range(0, Shards).Select(shard => FirstRowsAsync(tables.Service.GetTableClient(table), ShardKey(shard), filter, want, cancellationToken)).ToList();
            await Task.WhenAll(shards);
            page.AddRange(shards.SelectMany(s => s.Result).OrderBy(e => e.Key, StringComparer.Ordinal).Take(want));
        }

        return (page, page.Count == pageSize ? page[^1].Key : null);
    }

    /// <summary>Deletes the user's own events (every month table within retention); the fleet log keeps the user id only.</summary>
    public async Task DeleteUserAsync(string userId, CancellationToken cancellationToken)
    {
        foreach (var table in await ExistingAsync(userPrefix, MonthFormat.Length, cancellationToken))
        {
            var client = tables.Service.GetTableClient(table);
            var rows = new List<TableEntity>();
            await foreach (var row in client.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {userId}"), select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken))
            {
                rows.Add(row);
            }

            foreach (var batch in rows.Chunk(100))
            {
                try
                {
                    await client.SubmitTransactionAsync(batch.Select(r => new TableTransactionAction(TableTransactionActionType.Delete, r, ETag.All)), cancellationToken);
                }
                catch (TableTransactionFailedException)
                {
                    // A row another deletion got first fails the batch: the rest one by one.
                    foreach (var row in batch)
                    {
                        await DeleteIgnoringMissingAsync(client, row, cancellationToken);
                    }
                }
            }
        }
    }

    /// <summary>Drops the tables whose whole period is older than retention; returns how many.</summary>
    public async Task<int> PruneAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var horizon = now - Retention;
        var dropped = 0;
        foreach (var (prefix, format, length) in new[] { (userPrefix, MonthFormat, 1), (fleetPrefix, DayFormat, 0) })
        {
            foreach (var table in await ExistingAsync(prefix, format.Length, cancellationToken))
            {
                var start = DateTime.ParseExact(table[prefix.Length..], format, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
                var end = length == 1 ? start.AddMonths(1) : start.AddDays(1);
                if (end <= horizon.UtcDateTime)
                {
                    await tables.Service.DeleteTableAsync(table, cancellationToken);
                    created.TryRemove(table, out _);
                    dropped++;
                }
            }
        }

        return dropped;
    }

    /// <summary>The client address as events keep it: IPv4 to its /24, IPv6 to its /48 (an IPv4-mapped address as IPv4).</summary>
    public static string? Truncate(IPAddress? address)
    {
        if (address is null)
        {
            return null;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        var bytes = address.GetAddressBytes();
        var keep = address.AddressFamily == AddressFamily.InterNetwork ? 3 : 6;
        Array.Clear(bytes, keep, bytes.Length - keep);
        var prefix = new IPAddress(bytes);
        return $"{prefix}/{keep * 8}";
    }

    private async Task InsertAsync(TableClient table, TableEntity entity, CancellationToken cancellationToken)
    {
        try
        {
            await table.AddEntityAsync(entity, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // The period's first event (here): create its table, then write.
            await CreateOnceAsync(table);
            await table.AddEntityAsync(entity, cancellationToken);
        }
    }

    /// <summary>Creates the table once per instance (concurrent writers share the call); a failed creation is tried again next time.</summary>
    private async Task CreateOnceAsync(TableClient table)
    {
        var creating = created.GetOrAdd(table.Name, _ => table.CreateIfNotExistsAsync(CancellationToken.None));
        try
        {
            await creating;
        }
        catch
        {
            created.TryRemove(KeyValuePair.Create(table.Name, creating));
            throw;
        }
    }

    private static async Task<List<StoredEvent>> FirstRowsAsync(TableClient table, string shard, string filter, int max, CancellationToken cancellationToken)
    {
        var rows = new List<StoredEvent>();
        await foreach (var row in table.QueryAsync<TableEntity>($"PartitionKey eq '{shard}' and {filter}", maxPerPage: max, cancellationToken: cancellationToken))
        {
            rows.Add(Read(row, row.GetString("UserId") ?? ""));
            if (rows.Count == max)
            {
                break;
            }
        }

        return rows;
    }

    private async Task<HashSet<string>> ExistingAsync(string prefix, int digits, CancellationToken cancellationToken)
    {
        // Table names compare as strings: every name that starts with the prefix sorts between these two.
        var names = new HashSet<string>(StringComparer.Ordinal);
        var filter = TableServiceClient.CreateQueryFilter($"TableName ge {prefix} and TableName lt {prefix + "{"}");
        await foreach (var table in tables.Service.QueryAsync(filter, cancellationToken: cancellationToken))
        {
            var rest = table.Name[prefix.Length..];
            if (rest.Length == digits && rest.All(char.IsAsciiDigit))
            {
                names.Add(table.Name);
            }
        }

        return names;
    }

    private static async Task DeleteIgnoringMissingAsync(TableClient client, TableEntity row, CancellationToken cancellationToken)
    {
        try
        {
            await client.DeleteEntityAsync(row.PartitionKey, row.RowKey, ETag.All, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
        }
    }

    private static TableEntity Entity(AuthEvent authEvent, string partition, string row) => new(partition, row)
    {
        ["Type"] = authEvent.Type,
        ["At"] = authEvent.OccurredAt,
        ["SessionId"] = authEvent.SessionId,
        ["IpPrefix"] = Truncate(authEvent.ClientIp is { } ip && IPAddress.TryParse(ip, out var parsed) ? parsed : null),
        ["UserAgent"] = authEvent.UserAgent,
        ["Outcome"] = authEvent.Outcome,
        ["Detail"] = authEvent.Detail,
        ["Actor"] = authEvent.Actor,
    };

    private static StoredEvent Read(TableEntity row, string userId) => new(
        row.GetString("Type") ?? "",
        row.GetDateTimeOffset("At") ?? default,
        userId,
        row.GetString("SessionId"),
        row.GetString("IpPrefix"),
        row.GetString("UserAgent"),
        row.GetString("Outcome") ?? "",
        row.GetString("Detail"),
        row.GetString("Actor"),
        row.RowKey);

    private TableClient UserTable(DateTimeOffset at) => tables.Service.GetTableClient(userPrefix + at.UtcDateTime.ToString(MonthFormat, CultureInfo.InvariantCulture));

    private TableClient FleetTable(DateTimeOffset at) => tables.Service.GetTableClient(fleetPrefix + at.UtcDateTime.ToString(DayFormat, CultureInfo.InvariantCulture));

    private static DateTimeOffset MonthOf(DateTimeOffset at) => new(at.UtcDateTime.Year, at.UtcDateTime.Month, 1, 0, 0, 0, TimeSpan.Zero);

    // Newest first within the user's partition: the inverted time.
    private static string UserRow(DateTimeOffset at, string suffix) => (DateTime.MaxValue.Ticks - at.UtcTicks).ToString("D19", CultureInfo.InvariantCulture) + "-" + suffix;

    // Oldest first in the fleet log: the time, then the random suffix (the page cursor is such a key).
    private static string FleetRow(DateTimeOffset at, string suffix) => at.UtcTicks.ToString("D19", CultureInfo.InvariantCulture) + "-" + suffix;

    /// <summary>Whether a page cursor has the shape of a fleet row key (the time's ticks, a dash, 12 hex digits).</summary>
    public static bool IsCursor(string value) =>
        value.Length == 32 && value[19] == '-' && value[20..].All(char.IsAsciiHexDigitLower) && TryDayOfKey(value, out _);

    private static bool TryDayOfKey(string key, out DateTime day)
    {
        day = default;
        if (key.Length < 19 || !long.TryParse(key.AsSpan(0, 19), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            || ticks < DateTime.MinValue.Ticks || ticks > DateTime.MaxValue.Ticks)
        {
            return false;
        }

        day = new DateTime(ticks, DateTimeKind.Utc).Date;
        return true;
    }

    private static string Shard() => ShardKey(RandomNumberGenerator.GetInt32(Shards));

    private static string ShardKey(int shard) => shard.ToString("D2", CultureInfo.InvariantCulture);
}
