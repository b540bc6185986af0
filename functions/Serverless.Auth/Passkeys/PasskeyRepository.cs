using System.Security.Cryptography;
using Azure;
using Azure.Data.Tables;
using Microsoft.IdentityModel.Tokens;
using Serverless.Auth.Accounts;
using Serverless.Auth.Mfa;
using Serverless.Auth.Storage;

namespace Serverless.Auth.Passkeys;

/// <summary>A registered passkey, as its row holds it.</summary>
/// <param name="CredentialId">The credential id (raw bytes; base64url in every answer).</param>
/// <param name="PublicKey">The COSE public key the registration gave.</param>
/// <param name="SignCount">The last signature counter seen (0: the authenticator keeps none).</param>
/// <param name="Floor">Unix milliseconds: a sign-in challenge issued at or before it is spent.</param>
internal sealed record PasskeyRecord(
    string UserId,
    byte[] CredentialId,
    byte[] PublicKey,
    uint SignCount,
    bool BackupEligible,
    bool BackedUp,
    IReadOnlyList<string> Transports,
    string Name,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastUsedAt,
    long Floor,
    ETag ETag)
{
    public string Id => Base64UrlEncoder.Encode(CredentialId);
}

/// <summary>
/// The passkeys' rows in the users table (<see cref="UserRepository"/> keeps the account rows):
/// <list type="bullet">
/// <item>a row per passkey in its account's partition: partition = user id, row <c>passkey-</c> + base64url(SHA-256(credential
/// id)), with the public key, counter, flags, name and times. Added and removed in one transaction with the account row's
/// passkey count (ETag), so the count and the rows always agree, and at most <c>Auth__Passkeys__MaxPerUser</c> exist.</item>
/// <item>an <b>identity</b> per credential, what a sign-in finds the account by: partition = <c>passkey.</c> + that hash (an
/// email identity's key has no '.'), row <c>passkey</c> (the legacy-move pass reads rows named <c>account</c> only),
/// <c>Kind</c> = <c>passkey</c> and <c>AccountId</c>. Its insert makes a credential id registrable once; it counts only
/// while its account is live and has the passkey's row, so one left by a crash between the two writes, or by a release
/// before passkeys deleting the account, is taken over.</item>
/// </list>
/// </summary>
internal sealed class PasskeyRepository(AuthTables tables, UserRepository users, TimeProvider time)
{
    private const string RowPrefix = "passkey-";
    private const string IdentityRow = "passkey";
    private const string IdentityPrefix = "passkey.";
    private const int MaxAttempts = 4;

    /// <summary>The account a credential id is registered to, or null (one point read).</summary>
    public async Task<string?> FindOwnerAsync(byte[] credentialId, CancellationToken cancellationToken) =>
        (await GetAsync(IdentityPrefix + KeyOf(credentialId), IdentityRow, cancellationToken))?.GetString("AccountId") is { Length: > 0 } owner ? owner : null;

    /// <summary>The passkey of the account with that credential id, or null.</summary>
    public async Task<PasskeyRecord?> GetAsync(string userId, byte[] credentialId, CancellationToken cancellationToken) =>
        await GetAsync(userId, RowPrefix + KeyOf(credentialId), cancellationToken) is { } row ? Read(row) : null;

    /// <summary>The account's passkeys, oldest first.</summary>
    public async Task<IReadOnlyList<PasskeyRecord>> ListAsync(string userId, CancellationToken cancellationToken)
    {
        // Row keys from "passkey-" up to "passkey." (the next character): exactly this account's passkey rows.
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {userId} and RowKey gt {RowPrefix} and RowKey lt {"passkey."}");
        var rows = new List<PasskeyRecord>();
        await foreach (var row in tables.Users.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            rows.Add(Read(row));
        }

        return [.. rows.OrderBy(r => r.CreatedAt)];
    }

    /// <summary>
    /// Makes the credential id's identity point at <paramref name="userId"/>: true when it does (inserted, already this
    /// account's, or taken over from one whose passkey row does not exist), false when another account's passkey has it.
    /// </summary>
    public async Task<bool> TryClaimAsync(byte[] credentialId, string userId, CancellationToken cancellationToken)
    {
        var key = IdentityPrefix + KeyOf(credentialId);
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            if (await ConditionalWrites.TryAsync(() => tables.Users.AddEntityAsync(Identity(key, userId), cancellationToken)))
            {
                return true;
            }

            if (await GetAsync(key, IdentityRow, cancellationToken) is not { } identity)
            {
                continue;
            }

            var owner = identity.GetString("AccountId") ?? "";
            if (owner != userId && owner.Length > 0 && await GetAsync(owner, credentialId, cancellationToken) is not null
                && await users.FindByIdAsync(owner, emailHint: null, cancellationToken) is not null)
            {
                return false;
            }

            if (owner == userId || await ConditionalWrites.TryAsync(() => tables.Users.UpdateEntityAsync(Identity(key, userId), identity.ETag, TableUpdateMode.Replace, cancellationToken)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Drops the credential id's identity if it still points at <paramref name="userId"/> (a removed passkey, a registration given up).</summary>
    public async Task ReleaseAsync(byte[] credentialId, string userId, CancellationToken cancellationToken)
    {
        var key = IdentityPrefix + KeyOf(credentialId);
        if (await GetAsync(key, IdentityRow, cancellationToken) is { } identity && identity.GetString("AccountId") == userId)
        {
            await ConditionalWrites.TryAsync(() => tables.Users.DeleteEntityAsync(key, IdentityRow, identity.ETag, cancellationToken));
        }
    }

    /// <summary>
    /// Adds the passkey row and counts it on the account, in one transaction: false when the account row changed since
    /// it was read (ETag) or the row exists already. <paramref name="challengeIssuedAt"/> becomes the account's
    /// registration floor, so the challenge registers one passkey at most.
    /// </summary>
    public Task<bool> TryAddAsync(UserAccount account, PasskeyRecord passkey, long challengeIssuedAt, CancellationToken cancellationToken) =>
        tables.Users.TrySubmitAsync(
            [
                new TableTransactionAction(TableTransactionActionType.UpdateMerge, UserRepository.PasskeyCountPatch(account, account.Passkeys + 1, challengeIssuedAt), account.ETag),
                new TableTransactionAction(TableTransactionActionType.Add, Row(passkey)),
            ],
            cancellationToken);

    /// <summary>Removes the passkey row and uncounts it, in one transaction (both ETags), then its identity.</summary>
    public async Task<bool> TryRemoveAsync(UserAccount account, PasskeyRecord passkey, CancellationToken cancellationToken)
    {
        var removed = await tables.Users.TrySubmitAsync(
            [
                new TableTransactionAction(TableTransactionActionType.UpdateMerge, UserRepository.PasskeyCountPatch(account, Math.Max(0, account.Passkeys - 1), account.PasskeyFloor), account.ETag),
                new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(account.UserId, RowKeyOf(passkey.CredentialId)), passkey.ETag),
            ],
            cancellationToken);
        if (removed)
        {
            await ReleaseAsync(passkey.CredentialId, account.UserId, cancellationToken);
        }

        return removed;
    }

    /// <summary>
    /// Records a verified use (the new counter and backup state, the time, the challenge's floor) if the passkey's row is
    /// unchanged since it was read; with <paramref name="account"/> and <paramref name="mfa"/>, the account's second-factor
    /// columns too (a pending sign-in spent), in the same transaction. False when either row changed meanwhile.
    /// </summary>
    public Task<bool> TryRecordUseAsync(
        PasskeyRecord passkey, uint signCount, bool backedUp, long floor, UserAccount? account, MfaState? mfa, CancellationToken cancellationToken)
    {
        var use = new TableEntity(passkey.UserId, RowKeyOf(passkey.CredentialId))
        {
            ["SignCount"] = (long)signCount,
            ["BackedUp"] = backedUp,
            ["LastUsedAt"] = time.GetUtcNow(),
            ["Floor"] = floor,
        };
        if (account is null || mfa is null)
        {
            // One row: a conditional merge, cheaper than a transaction of one.
            return ConditionalWrites.TryAsync(() => tables.Users.UpdateEntityAsync(use, passkey.ETag, TableUpdateMode.Merge, cancellationToken));
        }

        return tables.Users.TrySubmitAsync(
            [
                new TableTransactionAction(TableTransactionActionType.UpdateMerge, use, passkey.ETag),
                new TableTransactionAction(TableTransactionActionType.UpdateMerge, UserRepository.MfaPatch(account, mfa), account.ETag),
            ],
            cancellationToken);
    }

    /// <summary>Notes a signature counter that went backwards (a cloned authenticator?) on the passkey's row.</summary>
    public Task RecordCounterRegressionAsync(PasskeyRecord passkey, uint presented, CancellationToken cancellationToken)
    {
        var note = new TableEntity(passkey.UserId, RowKeyOf(passkey.CredentialId))
        {
            ["CounterRegressionAt"] = time.GetUtcNow(),
            ["CounterRegressionPresented"] = (long)presented,
        };
        return ConditionalWrites.TryAsync(() => tables.Users.UpdateEntityAsync(note, ETag.All, TableUpdateMode.Merge, cancellationToken));
    }

    /// <summary>Renames the passkey if its row is unchanged since it was read.</summary>
    public Task<bool> TryRenameAsync(PasskeyRecord passkey, string name, CancellationToken cancellationToken) =>
        ConditionalWrites.TryAsync(() => tables.Users.UpdateEntityAsync(
            new TableEntity(passkey.UserId, RowKeyOf(passkey.CredentialId)) { ["Name"] = name }, passkey.ETag, TableUpdateMode.Merge, cancellationToken));

    /// <summary>A deleted account's passkeys: their identities, then their rows (the account row is a tombstone by now).</summary>
    public async Task RemoveAllAsync(string userId, CancellationToken cancellationToken)
    {
        foreach (var passkey in await ListAsync(userId, cancellationToken))
        {
            await ReleaseAsync(passkey.CredentialId, userId, cancellationToken);
            await ConditionalWrites.TryAsync(() => tables.Users.DeleteEntityAsync(userId, RowKeyOf(passkey.CredentialId), ETag.All, cancellationToken));
        }
    }

    private Task<TableEntity?> GetAsync(string partitionKey, string rowKey, CancellationToken cancellationToken) =>
        tables.Users.FindAsync(partitionKey, rowKey, cancellationToken);

    private TableEntity Identity(string key, string userId) =>
        new(key, IdentityRow) { ["Kind"] = "passkey", ["AccountId"] = userId, ["CreatedAt"] = time.GetUtcNow() };

    private static TableEntity Row(PasskeyRecord passkey) => new(passkey.UserId, RowKeyOf(passkey.CredentialId))
    {
        ["CredentialId"] = passkey.Id,
        ["PublicKey"] = passkey.PublicKey,
        ["SignCount"] = (long)passkey.SignCount,
        ["BackupEligible"] = passkey.BackupEligible,
        ["BackedUp"] = passkey.BackedUp,
        ["Transports"] = string.Join(',', passkey.Transports),
        ["Name"] = passkey.Name,
        ["CreatedAt"] = passkey.CreatedAt,
        ["Floor"] = passkey.Floor,
    };

    private static PasskeyRecord Read(TableEntity row) => new(
        row.PartitionKey,
        Base64UrlEncoder.DecodeBytes(row.GetString("CredentialId")),
        row.GetBinary("PublicKey") ?? [],
        (uint)Math.Clamp(row.GetInt64("SignCount") ?? 0, 0, uint.MaxValue),
        row.GetBoolean("BackupEligible") ?? false,
        row.GetBoolean("BackedUp") ?? false,
        (row.GetString("Transports") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries),
        row.GetString("Name") ?? "",
        row.GetDateTimeOffset("CreatedAt") ?? DateTimeOffset.UnixEpoch,
        row.GetDateTimeOffset("LastUsedAt"),
        row.GetInt64("Floor") ?? 0,
        row.ETag);

    private static string RowKeyOf(byte[] credentialId) => RowPrefix + KeyOf(credentialId);

    // Credential ids are up to 1023 bytes: hashed, so every key fits and has one form.
    private static string KeyOf(byte[] credentialId) => Base64UrlEncoder.Encode(SHA256.HashData(credentialId));
}
