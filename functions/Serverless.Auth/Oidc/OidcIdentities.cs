using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Microsoft.IdentityModel.Tokens;
using Serverless.Auth.Accounts;
using Serverless.Auth.Storage;

namespace Serverless.Auth.Oidc;

/// <summary>A provider identity linked to an account, as its link row holds it.</summary>
internal sealed record LinkedIdentity(string UserId, string Provider, string Subject, string? Email, DateTimeOffset LinkedAt, DateTimeOffset? LastUsedAt, ETag ETag);

/// <summary>
/// The provider identities' rows in the users table (<see cref="UserRepository"/> keeps the account rows), shaped like
/// the passkeys' (<see cref="Passkeys.PasskeyRepository"/>):
/// <list type="bullet">
/// <item>a <b>link</b> row per provider in the account's partition: partition = user id, row <c>oidc-</c> + provider
/// name, with the subject, the address the provider gave, and times; at most one per provider. Added and removed in one
/// transaction with the account row's <c>OidcCount</c> (ETag), so "the last way to sign in" is decided by the account
/// row's ETag, as it is for passkeys and the password.</item>
/// <item>an <b>identity</b> per (provider, subject), what a sign-in finds the account by: partition = <c>oidc.</c> +
/// base64url(SHA-256(provider + "\n" + subject)), row <c>oidc</c>, <c>Kind</c> = <c>oidc</c> and <c>AccountId</c>. Its
/// insert makes an identity linkable once; it counts only while its account is live and has the matching link row.</item>
/// </list>
/// </summary>
internal sealed class OidcIdentities(AuthTables tables, UserRepository users, TimeProvider time)
{
    private const string RowPrefix = "oidc-";
    private const string IdentityRow = "oidc";
    private const string IdentityPrefix = "oidc.";
    private const int MaxAttempts = 4;

    /// <summary>The user id of the live account the identity signs in (its link row names the subject); null when none (or only a stale identity row).</summary>
    public async Task<string?> FindAsync(string provider, string subject, CancellationToken cancellationToken)
    {
        if (await FindOwnerAsync(provider, subject, cancellationToken) is not { } owner)
        {
            return null;
        }

        var (account, link) = await FindLinkAsync(owner, provider, cancellationToken);
        if (account is null && link is not null)
        {
            // Left by a deletion on a release from before social sign-in (this one removes them with the account): removed now.
            await RemoveAllAsync(owner, cancellationToken);
        }

        return SignsIn(account, link, subject) ? owner : null;
    }

    /// <summary>
    /// The user id the identity row names, unchecked: it signs that account in only while <see cref="SignsIn"/> holds for
    /// the account and its link row (a crash between writes, or a deletion on the previous release, can leave it stale).
    /// </summary>
    public async Task<string?> FindOwnerAsync(string provider, string subject, CancellationToken cancellationToken) =>
        await GetAsync(IdentityKey(provider, subject), IdentityRow, cancellationToken) is { } identity
        && identity.GetString("AccountId") is { Length: > 0 } owner ? owner : null;

    /// <summary>Whether the identity <paramref name="subject"/> signs in to <paramref name="account"/>: it is live and its link row names that subject.</summary>
    public static bool SignsIn([NotNullWhen(true)] UserAccount? account, LinkedIdentity? link, string subject) =>
        account is not null && link is not null && link.Subject == subject;

    /// <summary>The account (live) and its link row for <paramref name="provider"/>, read in one request (both are in the account's partition).</summary>
    public async Task<(UserAccount? Account, LinkedIdentity? Link)> FindLinkAsync(string userId, string provider, CancellationToken cancellationToken)
    {
        var (account, link) = await users.FindByIdWithRowAsync(userId, RowPrefix + provider, cancellationToken);
        return (account, link is null ? null : Read(link));
    }

    /// <summary>The account's provider identities, by provider name.</summary>
    public async Task<IReadOnlyList<LinkedIdentity>> ListAsync(string userId, CancellationToken cancellationToken)
    {
        // Row keys from "oidc-" up to "oidc." (the next character): exactly this account's link rows.
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {userId} and RowKey gt {RowPrefix} and RowKey lt {"oidc."}");
        var rows = new List<LinkedIdentity>();
        await foreach (var row in tables.Users.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            rows.Add(Read(row));
        }

        return [.. rows.OrderBy(r => r.Provider, StringComparer.Ordinal)];
    }

    /// <summary>
    /// Links the identity to the account: the link row and the account's count in one transaction (account ETag; false when
    /// the account changed or already has a link for this provider), then the identity row claimed. When another live
    /// account's link holds the identity, the link row is removed again and this returns false.
    /// </summary>
    public async Task<LinkResult> TryLinkAsync(UserAccount account, string provider, ProviderIdentity identity, CancellationToken cancellationToken)
    {
        var link = new TableEntity(account.UserId, RowPrefix + provider)
        {
            ["Provider"] = provider,
            ["Subject"] = identity.Subject,
            ["Email"] = identity.Email ?? "",
            ["LinkedAt"] = time.GetUtcNow(),
        };
        var added = await tables.Users.TrySubmitAsync(
            [
                new TableTransactionAction(TableTransactionActionType.UpdateMerge, UserRepository.OidcCountPatch(account, account.ProviderIdentities + 1), account.ETag),
                new TableTransactionAction(TableTransactionActionType.Add, link),
            ],
            cancellationToken);
        if (!added)
        {
            return LinkResult.AccountChanged;
        }

        if (await TryClaimAsync(provider, identity.Subject, account.UserId, cancellationToken))
        {
            return LinkResult.Linked;
        }

        if (await users.FindByIdAsync(account.UserId, emailHint: null, cancellationToken) is { } current
            && await GetAsync(account.UserId, RowPrefix + provider, cancellationToken) is { } written)
        {
            await TryRemoveRowsAsync(current, Read(written), cancellationToken);
        }

        return LinkResult.IdentityTaken;
    }

    /// <summary>Removes the link row and uncounts it in one transaction (both ETags), then releases the identity.</summary>
    public async Task<bool> TryUnlinkAsync(UserAccount account, LinkedIdentity link, CancellationToken cancellationToken)
    {
        if (!await TryRemoveRowsAsync(account, link, cancellationToken))
        {
            return false;
        }

        await ReleaseAsync(link.Provider, link.Subject, account.UserId, cancellationToken);
        return true;
    }

    /// <summary>Records a sign-in on the link row, if it still exists (a merge never creates one).</summary>
    public Task RecordUseAsync(string userId, string provider, CancellationToken cancellationToken) =>
        ConditionalWrites.TryAsync(() => tables.Users.UpdateEntityAsync(
            new TableEntity(userId, RowPrefix + provider) { ["LastUsedAt"] = time.GetUtcNow() }, ETag.All, TableUpdateMode.Merge, cancellationToken));

    /// <summary>A deleted account's identities: released, then their link rows removed (the account row is a tombstone by now).</summary>
    public async Task RemoveAllAsync(string userId, CancellationToken cancellationToken)
    {
        foreach (var link in await ListAsync(userId, cancellationToken))
        {
            await ReleaseAsync(link.Provider, link.Subject, userId, cancellationToken);
            await ConditionalWrites.TryAsync(() => tables.Users.DeleteEntityAsync(userId, RowPrefix + link.Provider, ETag.All, cancellationToken));
        }
    }

    private Task<bool> TryRemoveRowsAsync(UserAccount account, LinkedIdentity link, CancellationToken cancellationToken) =>
        tables.Users.TrySubmitAsync(
            [
                new TableTransactionAction(TableTransactionActionType.UpdateMerge, UserRepository.OidcCountPatch(account, Math.Max(0, account.ProviderIdentities - 1)), account.ETag),
                new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(account.UserId, RowPrefix + link.Provider), link.ETag),
            ],
            cancellationToken);

    /// <summary>
    /// Points the identity row at <paramref name="userId"/>: inserted, already this account's, or taken over from an owner
    /// that is gone or has no matching link row (a crash between writes); false while another live account's link has it.
    /// Every decision is a conditional write.
    /// </summary>
    private async Task<bool> TryClaimAsync(string provider, string subject, string userId, CancellationToken cancellationToken)
    {
        var key = IdentityKey(provider, subject);
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            if (await ConditionalWrites.TryAsync(() => tables.Users.AddEntityAsync(Identity(key, provider, userId), cancellationToken)))
            {
                return true;
            }

            if (await GetAsync(key, IdentityRow, cancellationToken) is not { } identity)
            {
                continue;
            }

            var owner = identity.GetString("AccountId") ?? "";
            if (owner == userId)
            {
                return true;
            }

            if (owner.Length > 0 && await FindLinkAsync(owner, provider, cancellationToken) is ({ }, { } link) && link.Subject == subject)
            {
                return false;
            }

            if (await ConditionalWrites.TryAsync(() => tables.Users.UpdateEntityAsync(Identity(key, provider, userId), identity.ETag, TableUpdateMode.Replace, cancellationToken)))
            {
                return true;
            }
        }

        return false;
    }

    private async Task ReleaseAsync(string provider, string subject, string userId, CancellationToken cancellationToken)
    {
        var key = IdentityKey(provider, subject);
        if (await GetAsync(key, IdentityRow, cancellationToken) is { } identity && identity.GetString("AccountId") == userId)
        {
            await ConditionalWrites.TryAsync(() => tables.Users.DeleteEntityAsync(key, IdentityRow, identity.ETag, cancellationToken));
        }
    }

    private Task<TableEntity?> GetAsync(string partitionKey, string rowKey, CancellationToken cancellationToken) =>
        tables.Users.FindAsync(partitionKey, rowKey, cancellationToken);

    private TableEntity Identity(string key, string provider, string userId) =>
        new(key, IdentityRow) { ["Kind"] = "oidc", ["Provider"] = provider, ["AccountId"] = userId, ["CreatedAt"] = time.GetUtcNow() };

    private static LinkedIdentity Read(TableEntity row) => new(
        row.PartitionKey,
        row.GetString("Provider") ?? row.RowKey[RowPrefix.Length..],
        row.GetString("Subject") ?? "",
        row.GetString("Email") is { Length: > 0 } email ? email : null,
        row.GetDateTimeOffset("LinkedAt") ?? DateTimeOffset.UnixEpoch,
        row.GetDateTimeOffset("LastUsedAt"),
        row.ETag);

    // Subjects are up to 255 characters of the provider's choosing: hashed (with the provider), so every key fits and has one form.
    private static string IdentityKey(string provider, string subject) =>
        IdentityPrefix + Base64UrlEncoder.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(provider + "\n" + subject)));
}

internal enum LinkResult
{
    Linked,

    /// <summary>The account row changed since it was read, or it already has a link for this provider: read it again.</summary>
    AccountChanged,

    /// <summary>Another live account's link holds the identity.</summary>
    IdentityTaken,
}
