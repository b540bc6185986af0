using System.Globalization;
using Azure.Data.Tables;
using Serverless.Auth.Tests.Email;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;
using MailLinks = Serverless.Auth.Tests.Email.MailLinks;

namespace Serverless.Auth.Tests.Events;

/// <summary>One stored event row as the tests compare it (<paramref name="Table"/> is the table it was read from).</summary>
public sealed record EventRow(
    string Table, string PartitionKey, string RowKey, string Type, DateTimeOffset At, string? UserId, string? SessionId,
    string? IpPrefix, string? UserAgent, string Outcome, string? Detail, string? Actor)
{
    /// <summary>The random suffix both halves of one event share (user row: inverted ticks; fleet row: ticks).</summary>
    public string Suffix => RowKey[20..];

    /// <summary>What a user row and its fleet row have alike.</summary>
    public (string Type, DateTimeOffset At, string? SessionId, string? IpPrefix, string? UserAgent, string Outcome, string? Detail, string? Actor) Content =>
        (Type, At, SessionId, IpPrefix, UserAgent, Outcome, Detail, Actor);
}

/// <summary>
/// The event tables of one test host (its own <c>UserEvents…yyyyMM</c> and <c>FleetEvents…yyyyMMdd</c> tables), read
/// straight from Azurite with Azure.Data.Tables, as an operator would: not through the app's own reader.
/// </summary>
public sealed class EventTables(string connectionString, IReadOnlyDictionary<string, string?> settings)
{
    private static readonly TimeSpan PollFor = TimeSpan.FromSeconds(10);
    private readonly TableServiceClient service = new(connectionString);

    public EventTables(AzuriteFixture azurite, TestApi api)
        : this(azurite.ConnectionString, api.Settings)
    {
    }

    public string UserPrefix { get; } = settings["Auth:Storage:UserEventsTable"]!;

    public string FleetPrefix { get; } = settings["Auth:Storage:FleetEventsTable"]!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public string UserTable(DateTimeOffset at) => UserPrefix + at.UtcDateTime.ToString("yyyyMM", CultureInfo.InvariantCulture);

    public string FleetTable(DateTimeOffset at) => FleetPrefix + at.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    /// <summary>The month tables (user log) or day tables (fleet log) that exist now, by name.</summary>
    public async Task<List<string>> TableNamesAsync(string prefix)
    {
        var digits = prefix == UserPrefix ? 6 : 8;
        var names = new List<string>();
        await foreach (var table in service.QueryAsync(TableServiceClient.CreateQueryFilter($"TableName ge {prefix} and TableName lt {prefix + "{"}"), cancellationToken: Ct))
        {
            var rest = table.Name[prefix.Length..];
            if (rest.Length == digits && rest.All(char.IsAsciiDigit))
            {
                names.Add(table.Name);
            }
        }

        names.Sort(StringComparer.Ordinal);
        return names;
    }

    /// <summary>Every row of every table of the log, whole (all columns), for scans.</summary>
    public async Task<List<TableEntity>> RawRowsAsync(string prefix)
    {
        var rows = new List<TableEntity>();
        foreach (var name in await TableNamesAsync(prefix))
        {
            rows.AddRange(await service.GetTableClient(name).QueryAsync<TableEntity>(cancellationToken: Ct).ToListAsync(Ct));
        }

        return rows;
    }

    /// <summary>The user's rows in every month table, newest first (their row keys are the time inverted).</summary>
    public async Task<List<EventRow>> UserRowsAsync(string userId)
    {
        var rows = new List<EventRow>();
        foreach (var name in await TableNamesAsync(UserPrefix))
        {
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {userId}");
            await foreach (var row in service.GetTableClient(name).QueryAsync<TableEntity>(filter, cancellationToken: Ct))
            {
                rows.Add(Read(name, row, userId));
            }
        }

        return [.. rows.OrderBy(r => r.RowKey, StringComparer.Ordinal)];
    }

    /// <summary>The fleet rows that match, oldest first (across shards and days).</summary>
    public async Task<List<EventRow>> FleetRowsAsync(Func<EventRow, bool> match)
    {
        var rows = new List<EventRow>();
        foreach (var name in await TableNamesAsync(FleetPrefix))
        {
            await foreach (var row in service.GetTableClient(name).QueryAsync<TableEntity>(cancellationToken: Ct))
            {
                var read = Read(name, row, row.GetString("UserId"));
                if (match(read))
                {
                    rows.Add(read);
                }
            }
        }

        return [.. rows.OrderBy(r => r.RowKey, StringComparer.Ordinal)];
    }

    /// <summary>The fleet rows of one user id (an empty id: the failed logins of unknown addresses).</summary>
    public Task<List<EventRow>> FleetRowsOfAsync(string userId) => FleetRowsAsync(r => r.UserId == userId);

    /// <summary>
    /// Polls the user's log until <paramref name="done"/> holds, and returns the user's rows: for the events of a refused
    /// credential (written while the answer goes out) and of mail delivery (written once the mail is sent).
    /// </summary>
    public async Task<List<EventRow>> UserRowsWhenAsync(string userId, Func<List<EventRow>, bool> done)
    {
        var deadline = DateTimeOffset.UtcNow + PollFor;
        while (true)
        {
            var rows = await UserRowsAsync(userId);
            if (done(rows))
            {
                return rows;
            }

            Assert.True(DateTimeOffset.UtcNow < deadline, $"the events of user {userId} did not come within {PollFor.TotalSeconds} s; found {string.Join(", ", rows.Select(r => r.Type))}");
            await Task.Delay(50, Ct);
        }
    }

    /// <summary>Polls the user's log until a row of <paramref name="type"/> is there (<see cref="UserRowsWhenAsync"/>).</summary>
    public Task<List<EventRow>> UserRowsOnceAsync(string userId, string type) => UserRowsWhenAsync(userId, rows => rows.Any(r => r.Type == type));

    /// <summary>Polls the fleet log until <paramref name="count"/> rows match, and returns them.</summary>
    public async Task<List<EventRow>> FleetRowsOnceAsync(Func<EventRow, bool> match, int count = 1)
    {
        var deadline = DateTimeOffset.UtcNow + PollFor;
        while (true)
        {
            var rows = await FleetRowsAsync(match);
            if (rows.Count >= count)
            {
                return rows;
            }

            Assert.True(DateTimeOffset.UtcNow < deadline, $"{rows.Count} of {count} fleet rows within {PollFor.TotalSeconds} s");
            await Task.Delay(50, Ct);
        }
    }

    /// <summary>
    /// Asserts that each of the user's rows has its twin in the fleet log (same suffix, time, content, the user id in its
    /// own column, a shard 00..15 for partition), and that the two keys encode the same time; returns the fleet rows.
    /// </summary>
    public async Task<List<EventRow>> AssertFleetMirrorsAsync(IReadOnlyList<EventRow> userRows, string userId)
    {
        var fleet = (await FleetRowsOfAsync(userId)).ToDictionary(r => r.Suffix, StringComparer.Ordinal);
        foreach (var row in userRows)
        {
            Assert.True(fleet.TryGetValue(row.Suffix, out var twin), $"no fleet row for the user's {row.Type} event");
            Assert.Equal(row.Content, twin.Content);
            Assert.Equal(FleetTable(row.At), twin.Table);
            Assert.Equal(UserTable(row.At), row.Table);
            Assert.Matches("^(0[0-9]|1[0-5])$", twin.PartitionKey);
            Assert.Equal(row.At.UtcTicks, long.Parse(twin.RowKey[..19], CultureInfo.InvariantCulture));
            Assert.Equal(DateTime.MaxValue.Ticks - row.At.UtcTicks, long.Parse(row.RowKey[..19], CultureInfo.InvariantCulture));
        }

        return [.. fleet.Values];
    }

    private static EventRow Read(string table, TableEntity row, string? userId) => new(
        table,
        row.PartitionKey,
        row.RowKey,
        row.GetString("Type") ?? "",
        row.GetDateTimeOffset("At") ?? default,
        userId,
        row.GetString("SessionId"),
        row.GetString("IpPrefix"),
        row.GetString("UserAgent"),
        row.GetString("Outcome") ?? "",
        row.GetString("Detail"),
        row.GetString("Actor"));
}

/// <summary>Small helpers the event tests share.</summary>
public static class EventTestClients
{
    /// <summary>The session id of a browser's session (the second part of its refresh cookie, the <c>sid</c> events carry).</summary>
    public static string SessionOf(SessionClient browser) => browser.Refresh!.Split('.')[1];

    /// <summary>The token of the next mail to <paramref name="to"/> with a link to <paramref name="page"/> (notices on the way are passed over).</summary>
    public static async Task<string> LinkTokenAsync(this CapturingMailSender mail, string to, string page)
    {
        while (true)
        {
            var received = await mail.NextToAsync(to);
            if (received.Text?.Contains($"/auth/{page}?token=", StringComparison.Ordinal) == true)
            {
                return MailLinks.Token(received, page);
            }
        }
    }
}
