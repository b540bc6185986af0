using Azure;
using Azure.Data.Tables;
using Serverless.Auth.Storage;

namespace Serverless.Auth.Sessions;

/// <summary>One refresh session: who, since when, until when, and the hash of its current refresh secret.</summary>
internal sealed record SessionRecord(
    string UserId,
    string SessionId,
    string Email,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastUsedAt,
    DateTimeOffset AbsoluteExpiresAt,
    DateTimeOffset ExpiresAt,
    bool Remember,
    string UserAgent,
    int Generation,
    string CurrentHash,
    DateTimeOffset RotatedAt,
    ETag ETag = default,
    bool EmailConfirmed = false)
{
    /// <summary>
    /// The SHA-256 of the device id of the browser the session belongs to (its device cookie), or empty
    /// (rows from before the binding existed, until their next rotation): a just-retired refresh token is
    /// shared with that browser only, never with whoever else presents it.
    /// </summary>
    public string DeviceHash { get; init; } = "";

    /// <summary>How the session was signed in (RFC 8176 <c>amr</c> values, space-separated); rows from before it: a password.</summary>
    public string Amr { get; init; } = "pwd";

    /// <summary>When a second factor was last checked for this session (sign-in or step-up); null: never.</summary>
    public DateTimeOffset? SecondFactorAt { get; init; }
}

/// <summary>
/// The sessions table: partition = user id, row = session id. A refresh is one point read and one
/// conditional write; a user's session list is one partition query. The only code that knows its shape.
/// </summary>
internal sealed class SessionStore(AuthTables tables)
{
    public async Task AddAsync(SessionRecord session, CancellationToken cancellationToken)
    {
        try
        {
            await tables.Sessions.AddEntityAsync(ToEntity(session), cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // Session ids are 128 random bits: the row is this insert's own, written by a try whose answer
            // timed out before the SDK retried it.
        }
    }

    public async Task<SessionRecord?> GetAsync(string userId, string sessionId, CancellationToken cancellationToken)
    {
        var row = await tables.Sessions.GetEntityIfExistsAsync<TableEntity>(userId, sessionId, cancellationToken: cancellationToken);
        return row.HasValue && row.Value is { } entity ? FromEntity(entity) : null;
    }

    /// <summary>Compare-and-swap on the ETag read: false when another request changed or deleted the row first.</summary>
    public async Task<bool> TryReplaceAsync(SessionRecord session, CancellationToken cancellationToken)
    {
        try
        {
            await tables.Sessions.UpdateEntityAsync(ToEntity(session), session.ETag, TableUpdateMode.Replace, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            return false;
        }
    }

    /// <summary>False when there was no such session.</summary>
    public async Task<bool> DeleteAsync(string userId, string sessionId, CancellationToken cancellationToken)
    {
        try
        {
            await tables.Sessions.DeleteEntityAsync(userId, sessionId, ETag.All, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return false;
        }
    }

    public async Task<List<SessionRecord>> ListAsync(string userId, CancellationToken cancellationToken)
    {
        var sessions = new List<SessionRecord>();
        await foreach (var entity in tables.Sessions.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {userId}"), cancellationToken: cancellationToken))
        {
            sessions.Add(FromEntity(entity));
        }

        return sessions;
    }

    /// <summary>Deletes sessions past their expiry (the scheduled clean-up); returns how many.</summary>
    public async Task<int> DeleteExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var deleted = 0;
        var filter = TableClient.CreateQueryFilter($"ExpiresAt lt {now}");
        await foreach (var entity in tables.Sessions.QueryAsync<TableEntity>(filter, select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken))
        {
            deleted += await DeleteAsync(entity.PartitionKey, entity.RowKey, cancellationToken) ? 1 : 0;
        }

        return deleted;
    }

    private static TableEntity ToEntity(SessionRecord s) => new(s.UserId, s.SessionId)
    {
        ["Email"] = s.Email,
        ["CreatedAt"] = s.CreatedAt,
        ["LastUsedAt"] = s.LastUsedAt,
        ["AbsoluteExpiresAt"] = s.AbsoluteExpiresAt,
        ["ExpiresAt"] = s.ExpiresAt,
        ["Remember"] = s.Remember,
        ["UserAgent"] = s.UserAgent,
        ["Generation"] = s.Generation,
        ["CurrentHash"] = s.CurrentHash,
        ["RotatedAt"] = s.RotatedAt,
        ["EmailConfirmed"] = s.EmailConfirmed,
        ["DeviceHash"] = s.DeviceHash,
        ["Amr"] = s.Amr,
        ["SecondFactorAt"] = s.SecondFactorAt,
    };

    private static SessionRecord FromEntity(TableEntity e) => new(
        e.PartitionKey,
        e.RowKey,
        e.GetString("Email"),
        e.GetDateTimeOffset("CreatedAt") ?? DateTimeOffset.UnixEpoch,
        e.GetDateTimeOffset("LastUsedAt") ?? DateTimeOffset.UnixEpoch,
        e.GetDateTimeOffset("AbsoluteExpiresAt") ?? DateTimeOffset.UnixEpoch,
        e.GetDateTimeOffset("ExpiresAt") ?? DateTimeOffset.UnixEpoch,
        e.GetBoolean("Remember") ?? true,
        e.GetString("UserAgent") ?? "",
        e.GetInt32("Generation") ?? 0,
        e.GetString("CurrentHash") ?? "",
        e.GetDateTimeOffset("RotatedAt") ?? DateTimeOffset.UnixEpoch,
        e.ETag,
        e.GetBoolean("EmailConfirmed") ?? false)
    {
        DeviceHash = e.GetString("DeviceHash") ?? "",
        Amr = e.GetString("Amr") is { Length: > 0 } amr ? amr : "pwd",
        SecondFactorAt = e.GetDateTimeOffset("SecondFactorAt"),
    };
}
