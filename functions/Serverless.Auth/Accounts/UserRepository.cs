using Azure;
using Azure.Data.Tables;
using Serverless.Auth.Storage;

namespace Serverless.Auth.Accounts;

internal sealed record UserAccount(string UserId, string Email, string PasswordHash, ETag ETag);

/// <summary>The users table: one entity per canonical email (<see cref="EmailAddress"/>), keyed by its hash. The only code that knows its shape.</summary>
internal sealed class UserRepository(AuthTables tables)
{
    private const string AccountRow = "account";

    /// <summary>False when the email is taken. Uniqueness is the storage insert itself (409), never read-then-write.</summary>
    public async Task<bool> TryCreateAsync(string userId, string normalizedEmail, string passwordHash, DateTimeOffset createdAt, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(KeyFor(normalizedEmail), AccountRow)
        {
            ["UserId"] = userId,
            ["Email"] = normalizedEmail,
            ["PasswordHash"] = passwordHash,
            ["CreatedAt"] = createdAt,
        };
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

    public async Task<UserAccount?> FindAsync(string normalizedEmail, CancellationToken cancellationToken)
    {
        var row = await tables.Users.GetEntityIfExistsAsync<TableEntity>(KeyFor(normalizedEmail), AccountRow, cancellationToken: cancellationToken);
        if (!row.HasValue || row.Value is not { } entity)
        {
            return null;
        }

        return new UserAccount(entity.GetString("UserId"), entity.GetString("Email"), entity.GetString("PasswordHash"), entity.ETag);
    }

    /// <summary>Replaces the hash if the row is unchanged since it was read (ETag); a lost race is harmless.</summary>
    public async Task<bool> TryUpdatePasswordHashAsync(UserAccount account, string passwordHash, CancellationToken cancellationToken)
    {
        var patch = new TableEntity(KeyFor(account.Email), AccountRow) { ["PasswordHash"] = passwordHash };
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

    private static string KeyFor(string normalizedEmail) => EmailAddress.StorageKey(normalizedEmail);
}
