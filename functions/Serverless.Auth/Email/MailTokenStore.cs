using Azure;
using Azure.Data.Tables;
using Serverless.Auth.Storage;

namespace Serverless.Auth.Email;

/// <summary>A confirmation or reset token as stored: whose it is and until when. The token itself is never stored.</summary>
internal sealed record MailToken(string TokenHash, MailKind Kind, string UserId, string Email, DateTimeOffset ExpiresAt)
{
    /// <summary>A pending registration's (<see cref="MailKind.Registration"/>): the Argon2 hash of the chosen password, for the account its link creates.</summary>
    public string? PasswordHash { get; init; }

    /// <summary>As read: spending a pending registration deletes it only if unchanged (of concurrent uses one wins).</summary>
    public ETag ETag { get; init; }
}

/// <summary>
/// The mail tokens table: partition = SHA-256 of the token (uniformly spread: no hot partition), one
/// row. Using a token is a point read here plus the account's conditional write (the account row
/// decides single use); a pending registration is spent by marking its row with its ETag (then deleted). Rows of the
/// previous release (confirm and reset, without a password hash) read as before. The only code that
/// knows its shape.
/// </summary>
internal sealed class MailTokenStore(AuthTables tables)
{
    private const string TokenRow = "token";
    private const string SpentColumn = "Spent";

    /// <summary>Idempotent: a retried mail message writes the same row again.</summary>
    public Task SaveAsync(MailToken token, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(token.TokenHash, TokenRow)
        {
            ["Kind"] = token.Kind.ToString(),
            ["UserId"] = token.UserId,
            ["Email"] = token.Email,
            ["ExpiresAt"] = token.ExpiresAt,
        };
        if (token.PasswordHash is { } passwordHash)
        {
            entity["PasswordHash"] = passwordHash;
        }

        return tables.MailTokens.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken);
    }

    /// <summary>The token's row, or null (none, or a pending registration already spent).</summary>
    public async Task<MailToken?> FindAsync(string tokenHash, CancellationToken cancellationToken)
    {
        var row = await tables.MailTokens.GetEntityIfExistsAsync<TableEntity>(tokenHash, TokenRow, cancellationToken: cancellationToken);
        return row.HasValue && row.Value is { } e && e.GetBoolean(SpentColumn) != true && Enum.TryParse<MailKind>(e.GetString("Kind"), out var kind)
            ? new MailToken(tokenHash, kind, e.GetString("UserId") ?? "", e.GetString("Email") ?? "", e.GetDateTimeOffset("ExpiresAt") ?? DateTimeOffset.UnixEpoch)
            {
                PasswordHash = e.GetString("PasswordHash"),
                ETag = e.ETag,
            }
            : null;
    }

    /// <summary>
    /// Marks the row spent if unchanged since it was read (ETag): false when another use got there first. A
    /// conditional update, not a conditional delete: Azurite lets concurrent deletes with one ETag all succeed,
    /// while it decides conditional updates one at a time, as Azure does both.
    /// </summary>
    public async Task<bool> TrySpendAsync(MailToken token, CancellationToken cancellationToken)
    {
        try
        {
            await tables.MailTokens.UpdateEntityAsync(new TableEntity(token.TokenHash, TokenRow) { [SpentColumn] = true }, token.ETag, TableUpdateMode.Merge, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            return false;
        }
    }

    /// <summary>Best effort after use: the account row already refuses a second use, and the clean-up removes what is left.</summary>
    public async Task DeleteAsync(string tokenHash, CancellationToken cancellationToken)
    {
        try
        {
            await tables.MailTokens.DeleteEntityAsync(tokenHash, TokenRow, ETag.All, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
        }
    }

    /// <summary>The clean-up's filter: tokens past their expiry.</summary>
    public static string ExpiredFilter(DateTimeOffset now) => TableClient.CreateQueryFilter($"ExpiresAt lt {now}");
}
