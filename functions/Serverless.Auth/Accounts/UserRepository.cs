using Azure;
using Azure.Data.Tables;
using Serverless.Auth.Email;
using Serverless.Auth.Storage;

namespace Serverless.Auth.Accounts;

/// <summary>The last mail of one kind recorded for an account: the hash of its token, and when.</summary>
internal sealed record MailStamp(string TokenHash, DateTimeOffset At);

internal sealed record UserAccount(string UserId, string Email, string PasswordHash, ETag ETag, bool EmailConfirmed = false)
{
    /// <summary>Per mail kind; the reset stamp's hash is also the only reset token still valid.</summary>
    public IReadOnlyDictionary<MailKind, MailStamp> MailStamps { get; init; } = new Dictionary<MailKind, MailStamp>();

    public MailStamp? StampOf(MailKind kind) => MailStamps.GetValueOrDefault(kind);

    /// <summary>How many device cookies were issued for the account (each carries its number).</summary>
    public long DevicesIssued { get; init; }

    /// <summary>Device cookies numbered at or below this were voided by a password change or reset.</summary>
    public long DeviceFloor { get; init; }
}

/// <summary>The users table: one entity per canonical email (<see cref="EmailAddress"/>), keyed by its hash. The only code that knows its shape.</summary>
internal sealed class UserRepository(AuthTables tables)
{
    private const string AccountRow = "account";
    private const string DevicesIssuedColumn = "DevicesIssued";
    private const string DeviceFloorColumn = "DeviceFloor";

    /// <summary>The number of the device cookie a new account's first browser gets.</summary>
    public const long FirstDevice = 1;

    /// <summary>
    /// False when the email is taken. Uniqueness is the storage insert itself (409), never read-then-write.
    /// The account starts with one device issued: the cookie of the browser that signs up (number 1).
    /// </summary>
    public Task<bool> TryCreateAsync(string userId, string canonicalEmail, string passwordHash, DateTimeOffset createdAt, CancellationToken cancellationToken) =>
        TryCreateAsync(userId, canonicalEmail, passwordHash, createdAt, emailConfirmed: false, cancellationToken);

    /// <summary>As above; <paramref name="emailConfirmed"/> when a pending registration's link, which proved the mailbox, creates it.</summary>
    public async Task<bool> TryCreateAsync(
        string userId, string canonicalEmail, string passwordHash, DateTimeOffset createdAt, bool emailConfirmed, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(KeyFor(canonicalEmail), AccountRow)
        {
            ["UserId"] = userId,
            ["Email"] = canonicalEmail,
            ["PasswordHash"] = passwordHash,
            ["CreatedAt"] = createdAt,
            [DevicesIssuedColumn] = FirstDevice,
        };
        if (emailConfirmed)
        {
            entity["EmailConfirmed"] = true;
        }
        try
        {
            await tables.Users.AddEntityAsync(entity, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return false;
        }
    }

    public async Task<UserAccount?> FindAsync(string canonicalEmail, CancellationToken cancellationToken)
    {
        var row = await tables.Users.GetEntityIfExistsAsync<TableEntity>(KeyFor(canonicalEmail), AccountRow, cancellationToken: cancellationToken);
        if (!row.HasValue || row.Value is not { } entity)
        {
            return null;
        }

        var stamps = new Dictionary<MailKind, MailStamp>();
        foreach (var kind in Enum.GetValues<MailKind>())
        {
            if (entity.GetString(StampHash(kind)) is { Length: > 0 } hash && entity.GetDateTimeOffset(StampAt(kind)) is { } at)
            {
                stamps[kind] = new MailStamp(hash, at);
            }
        }

        return new UserAccount(entity.GetString("UserId"), entity.GetString("Email"), entity.GetString("PasswordHash"), entity.ETag, entity.GetBoolean("EmailConfirmed") ?? false)
        {
            MailStamps = stamps,
            // Absent in rows written before device cookies were counted: nothing issued, nothing voided.
            DevicesIssued = entity.GetInt64(DevicesIssuedColumn) ?? 0,
            DeviceFloor = entity.GetInt64(DeviceFloorColumn) ?? 0,
        };
    }

    /// <summary>Records a mail about to be sent (its token hash and time) if the row is unchanged since it was read (ETag).</summary>
    public Task<bool> TryStampMailAsync(UserAccount account, MailKind kind, MailStamp stamp, CancellationToken cancellationToken) =>
        TryMergeAsync(account, new() { [StampHash(kind)] = stamp.TokenHash, [StampAt(kind)] = stamp.At }, cancellationToken);

    /// <summary>Marks the address confirmed (ETag: of two concurrent confirmations one wins).</summary>
    public Task<bool> TryConfirmEmailAsync(UserAccount account, CancellationToken cancellationToken) =>
        TryMergeAsync(account, new() { ["EmailConfirmed"] = true, [StampHash(MailKind.Confirm)] = "" }, cancellationToken);

    /// <summary>
    /// Sets the password from a reset link and spends the link (ETag: of two concurrent uses one wins).
    /// The mail reached the owner, so the address is confirmed too.
    /// </summary>
    public Task<bool> TryResetPasswordAsync(UserAccount account, string passwordHash, CancellationToken cancellationToken) =>
        TryMergeAsync(
            account,
            new() { ["PasswordHash"] = passwordHash, ["EmailConfirmed"] = true, [StampHash(MailKind.Reset)] = "", [DeviceFloorColumn] = account.DevicesIssued },
            cancellationToken);

    /// <summary>Counts one more device cookie issued (ETag as above): the new cookie's number is the account's <see cref="UserAccount.DevicesIssued"/> plus one.</summary>
    public Task<bool> TryRecordDeviceAsync(UserAccount account, CancellationToken cancellationToken) =>
        TryMergeAsync(account, new() { [DevicesIssuedColumn] = account.DevicesIssued + 1 }, cancellationToken);

    private async Task<bool> TryMergeAsync(UserAccount account, Dictionary<string, object> changes, CancellationToken cancellationToken)
    {
        var patch = new TableEntity(changes) { PartitionKey = KeyFor(account.Email), RowKey = AccountRow };
        try
        {
            await tables.Users.UpdateEntityAsync(patch, account.ETag, TableUpdateMode.Merge, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            return false;
        }
    }

    private static string StampHash(MailKind kind) => kind + "MailHash";

    private static string StampAt(MailKind kind) => kind + "MailAt";

    /// <summary>Replaces the hash if the row is unchanged since it was read (ETag); a lost race is harmless.</summary>
    public Task<bool> TryUpdatePasswordHashAsync(UserAccount account, string passwordHash, CancellationToken cancellationToken) =>
        TryMergeAsync(account, new() { ["PasswordHash"] = passwordHash }, cancellationToken);

    /// <summary>
    /// A new password chosen by the signed-in user: also voids any reset link still out and every device
    /// cookie issued so far, and counts one new device, the browser that made the change (its number is
    /// <see cref="UserAccount.DevicesIssued"/> plus one). ETag as above.
    /// </summary>
    public Task<bool> TryChangePasswordAsync(UserAccount account, string passwordHash, CancellationToken cancellationToken) =>
        TryMergeAsync(
            account,
            new()
            {
                ["PasswordHash"] = passwordHash,
                [StampHash(MailKind.Reset)] = "",
                [DeviceFloorColumn] = account.DevicesIssued,
                [DevicesIssuedColumn] = account.DevicesIssued + 1,
            },
            cancellationToken);

    /// <summary>Deletes the account if unchanged since it was read (ETag): the email can sign up again.</summary>
    public async Task<bool> TryDeleteAsync(UserAccount account, CancellationToken cancellationToken)
    {
        try
        {
            await tables.Users.DeleteEntityAsync(KeyFor(account.Email), AccountRow, account.ETag, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            return false;
        }
    }

    private static string KeyFor(string canonicalEmail) => EmailAddress.StorageKey(canonicalEmail);
}
