using Azure;
using Azure.Data.Tables;
using Serverless.Auth.Storage;

namespace Serverless.Auth.Email;

/// <summary>A confirmation or reset token as stored: whose it is and until when. The token itself is never stored.</summary>
internal sealed record MailToken(string TokenHash, MailKind Kind, string UserId, string Email, DateTimeOffset ExpiresAt);

/// <summary>
/// The mail tokens table: partition = SHA-256 of the token (uniformly spread: no hot partition), one
/// row. Using a token is a point read here plus the account's conditional write (the account row
/// decides single use). The only code that knows its shape.
/// </summary>
internal sealed class MailTokenStore(AuthTables tables)
{
    private const string TokenRow = "token";

    /// <summary>Idempotent: a retried mail message writes the same row again.</summary>
    public Task SaveAsync(MailToken token, CancellationToken cancellationToken) =>
        tables.MailTokens.UpsertEntityAsync(
            new TableEntity(token.TokenHash, TokenRow)
            {
                ["Kind"] = token.Kind.ToString(),
                ["UserId"] = token.UserId,
                ["Email"] = token.Email,
                ["ExpiresAt"] = token.ExpiresAt,
            },
            TableUpdateMode.Replace,
            cancellationToken);

    public async Task<MailToken?> FindAsync(string tokenHash, CancellationToken cancellationToken)
    {
        var row = await tables.MailTokens.GetEntityIfExistsAsync<TableEntity>(tokenHash, TokenRow, cancellationToken: cancellationToken);
        return row.HasValue && row.Value is { } e && Enum.TryParse<MailKind>(e.GetString("Kind"), out var kind)
            ? new MailToken(tokenHash, kind, e.GetString("UserId") ?? "", e.GetString("Email") ?? "", e.GetDateTimeOffset("ExpiresAt") ?? DateTimeOffset.UnixEpoch)
            : null;
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
