using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Microsoft.IdentityModel.Tokens;
using Serverless.Auth.Storage;

namespace Serverless.Auth.Oidc;

/// <summary>What a ticket is for.</summary>
internal enum TicketKind
{
    /// <summary>The one-time code the callback hands the frontend, exchanged for the session (60 s, bound to the frontend's challenge).</summary>
    SignIn,

    /// <summary>The link ticket in a start URL: adds the provider identity to the account that asked for it (5 minutes).</summary>
    Link,
}

/// <summary>A ticket as redeemed: the account it names, and (a link ticket) the stamp of the password it was issued under.</summary>
internal sealed record RedeemedTicket(string UserId, string PasswordStamp);

/// <summary>
/// Single-use tickets of the social sign-in, in the mail tokens table (its clean-up removes expired rows): partition =
/// <c>oidc.</c> + base64url(SHA-256(ticket)) (the ticket itself is never stored), row = the kind. Redeeming marks the row
/// spent with its ETag (a conditional update: of two concurrent uses exactly one lands), whether or not the verifier
/// matched, so a code is tried once.
/// </summary>
internal sealed class OidcTickets(AuthTables tables, TimeProvider time)
{
    public static readonly TimeSpan SignInLifetime = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan LinkLifetime = TimeSpan.FromMinutes(5);
    private const string PartitionPrefix = "oidc.";
    private const string SpentColumn = "Spent";

    public async Task<string> IssueAsync(TicketKind kind, string userId, string frontendChallenge, CancellationToken cancellationToken, string passwordStamp = "")
    {
        var ticket = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        var row = new TableEntity(PartitionOf(ticket), kind.ToString())
        {
            ["UserId"] = userId,
            ["Challenge"] = frontendChallenge,
            ["PasswordStamp"] = passwordStamp,
            ["ExpiresAt"] = time.GetUtcNow() + (kind == TicketKind.SignIn ? SignInLifetime : LinkLifetime),
        };
        await tables.MailTokens.AddEntityAsync(row, cancellationToken);
        return ticket;
    }

    /// <summary>
    /// Spends the ticket and returns whose it is; null when it is unknown, expired, spent already (also by a concurrent
    /// use), or (with <paramref name="verifier"/>) the verifier does not hash to the challenge it was bound to.
    /// </summary>
    public async Task<RedeemedTicket?> RedeemAsync(TicketKind kind, string ticket, string? verifier, CancellationToken cancellationToken)
    {
        if (ticket.Length is < 32 or > 64)
        {
            return null;
        }

        var found = await tables.MailTokens.GetEntityIfExistsAsync<TableEntity>(PartitionOf(ticket), kind.ToString(), cancellationToken: cancellationToken);
        if (!found.HasValue || found.Value is not { } row || row.GetBoolean(SpentColumn) == true || !(row.GetDateTimeOffset("ExpiresAt") > time.GetUtcNow()))
        {
            return null;
        }

        try
        {
            await tables.MailTokens.UpdateEntityAsync(new TableEntity(row.PartitionKey, row.RowKey) { [SpentColumn] = true }, row.ETag, TableUpdateMode.Merge, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            return null;
        }

        var challenge = row.GetString("Challenge") ?? "";
        if (verifier is not null && !Matches(verifier, challenge))
        {
            return null;
        }

        return new RedeemedTicket(row.GetString("UserId") ?? "", row.GetString("PasswordStamp") ?? "");
    }

    /// <summary>A PKCE S256 pair: base64url(SHA-256(ASCII verifier)) equals the challenge (compared in fixed time).</summary>
    public static bool Matches(string verifier, string challenge) =>
        verifier.Length is >= 43 and <= 128
        && CryptographicOperations.FixedTimeEquals(
            Encoding.ASCII.GetBytes(Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)))), Encoding.ASCII.GetBytes(challenge));

    private static string PartitionOf(string ticket) => PartitionPrefix + Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(ticket)));
}
