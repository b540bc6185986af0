using Azure;
using Azure.Data.Tables;
using Serverless.Auth.Email;
using Serverless.Auth.Mfa;
using Serverless.Auth.Passwords;
using Serverless.Auth.Storage;

namespace Serverless.Auth.Accounts;

/// <summary>
/// The users table, the only code that knows its shape. Two kinds of row:
/// <list type="bullet">
/// <item>the <b>account</b>: partition = user id, row <c>user</c>: email, password hash, confirmation, mail stamps, device counts.
/// Only this row is ever written for a user; a deleted account leaves a tombstone (no data), so a user id never comes back.</item>
/// <item>an <b>identity</b>, what an account is found by: partition = base64url(SHA-256(canonical email)), row <c>account</c>,
/// with <c>Kind</c> = <c>email</c> and <c>AccountId</c>. That is exactly the previous release's account key, so an instance of it
/// still running during a roll-out gets 409 for a taken address. It reads the row as an account without an owner
/// (no <c>UserId</c>) whose <c>PasswordHash</c> no password matches: it can neither sign it in nor act on it, and answers a
/// login with the same cost as a wrong password.</item>
/// </list>
/// Rows of the previous release at the email key (legacy accounts) are read as accounts and moved before their first
/// write (<see cref="EnsureCurrentAsync"/>). An identity counts only while its account exists and points back (its
/// email hashes to the identity's key); any other is treated as absent and taken over when someone claims the address.
/// A freed address keeps a released identity (no account) until then. Passkeys add rows of their own (an identity per
/// credential and a row per passkey in the account's partition): <see cref="Passkeys.PasskeyRepository"/> knows their shape.
/// Accounts are written before the identities that point at them, and deleted (tombstoned) before them, so a crash
/// between two writes leaves at worst an identity that is absent by that rule.
/// </summary>
internal sealed class UserRepository(AuthTables tables, PasswordHasher hasher, TimeProvider time)
{
    private const string IdentityRow = "account";
    private const string AccountRow = "user";
    private const string KindColumn = "Kind";
    private const string EmailKind = "email";

    // Not "UserId": the previous release reads that column as the account's owner, and must find none here.
    private const string AccountIdColumn = "AccountId";

    // A moving identity holds the legacy account's columns under this prefix until the account row exists.
    private const string MovingPrefix = "Moving_";
    private const string DeletedColumn = "Deleted";
    private const string DevicesIssuedColumn = "DevicesIssued";
    private const string DeviceFloorColumn = "DeviceFloor";
    private const int MaxAttempts = 4;
    private const string PasswordHashColumn = "PasswordHash";

    // An account with a second factor stores its hash behind this prefix: a release from before second factors cannot
    // parse it and refuses the password (fails closed) instead of signing the account in with the password alone.
    private const string SecondFactorFence = "2fa:";
    private const string TotpSecretColumn = "TotpSecret";
    private const string TotpPendingColumn = "TotpPending";
    private const string TotpLastStepColumn = "TotpLastStep";
    private const string RecoveryCodesColumn = "RecoveryCodes";
    private const string MfaPendingFloorColumn = "MfaPendingFloor";
    private const string PasskeyCountColumn = "PasskeyCount";
    private const string PasskeyFloorColumn = "PasskeyFloor";
    private const string OidcCountColumn = "OidcCount";

    // Set on an account a provider created with an address it does not vouch for: the address is not claimed (no email
    // identity points here) until its confirmation link is used. Absent in every other row: claimed.
    private const string EmailUnclaimedColumn = "EmailUnclaimed";

    // Absent in rows written before accounts could be disabled: enabled.
    private const string DisabledColumn = "Disabled";

    // The background pass's cursor: a partition no email hash or user id can be.
    private const string CursorPartition = "~legacy-move";
    private const string CursorRow = "cursor";

    /// <summary>The number of the device cookie a new account's first browser gets.</summary>
    public const long FirstDevice = 1;

    /// <summary>
    /// The account an email finds: its identity, then the account it points to. Always two point reads (an unknown
    /// address reads an account row that does not exist), so timing does not tell registered addresses apart.
    /// </summary>
    public async Task<UserAccount?> FindByEmailAsync(string canonicalEmail, CancellationToken cancellationToken)
    {
        var key = KeyFor(canonicalEmail);
        var identity = await GetAsync(key, IdentityRow, cancellationToken);
        if (identity is null || IsLegacy(identity))
        {
            await GetAsync(identity?.GetString("UserId") ?? Guid.NewGuid().ToString(), AccountRow, cancellationToken);
            return identity is null ? null : ReadAccount(identity, "", AccountLayout.Legacy);
        }

        // A released identity (no account) reads an account row that does not exist, like an unknown address.
        var account = await GetAsync(AccountIdOf(identity) is { Length: > 0 } accountId ? accountId : Guid.NewGuid().ToString(), AccountRow, cancellationToken);
        if (account is null)
        {
            return IsMoving(identity) ? ReadAccount(identity, MovingPrefix, AccountLayout.Moving) : null;
        }

        return IsLive(account) && KeyFor(account.GetString("Email")) == key ? ReadAccount(account, "", AccountLayout.Current) : null;
    }

    /// <summary>
    /// The account of a user id (a token's subject). <paramref name="emailHint"/>, the address the caller last knew,
    /// finds an account that has not been moved yet (the previous release kept it at the email key).
    /// </summary>
    public async Task<UserAccount?> FindByIdAsync(string userId, string? emailHint, CancellationToken cancellationToken)
    {
        if (await GetAsync(userId, AccountRow, cancellationToken) is { } row)
        {
            return IsLive(row) ? ReadAccount(row, "", AccountLayout.Current) : null;
        }

        return emailHint is not null && await FindByEmailAsync(emailHint, cancellationToken) is { } byEmail && byEmail.UserId == userId ? byEmail : null;
    }

    /// <summary>
    /// The account of a user id, in its own row (an account the previous release stored is not found), and another row of
    /// its partition (a provider link, say), in one request: one partition query instead of two point reads.
    /// </summary>
    public async Task<(UserAccount? Account, TableEntity? Row)> FindByIdWithRowAsync(string userId, string rowKey, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {userId} and (RowKey eq {AccountRow} or RowKey eq {rowKey})");
        TableEntity? account = null, other = null;
        await foreach (var row in tables.Users.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            if (row.RowKey == AccountRow)
            {
                account = row;
            }
            else
            {
                other = row;
            }
        }

        return (account is not null && IsLive(account) ? ReadAccount(account, "", AccountLayout.Current) : null, other);
    }

    /// <summary>
    /// Moves a legacy account to its own row (idempotent, safe when instances do it at once): the email key becomes
    /// its identity in one conditional write that carries the account's columns, so from that moment no instance of
    /// the previous release can use or change it; the account row is then inserted from that copy (of racing inserts
    /// one lands, all with the same data), and the copy is dropped. Returns the account as its own row, or null when it
    /// is gone (deleted meanwhile).
    /// </summary>
    public async Task<UserAccount?> EnsureCurrentAsync(UserAccount account, CancellationToken cancellationToken)
    {
        var key = KeyFor(account.Email);
        for (var attempt = 0; attempt < MaxAttempts && account.Layout != AccountLayout.Current; attempt++)
        {
            var identity = await GetAsync(key, IdentityRow, cancellationToken);
            if (identity is not null && IsLegacy(identity) && identity.GetString("UserId") == account.UserId)
            {
                await TryWriteAsync(() => tables.Users.UpdateEntityAsync(MovingIdentity(identity), identity.ETag, TableUpdateMode.Replace, cancellationToken));
            }
            else if (identity is not null && IsMoving(identity) && AccountIdOf(identity) == account.UserId)
            {
                await TryWriteAsync(() => tables.Users.AddEntityAsync(AccountFromMoving(identity), cancellationToken), alsoFine: 409);
                await TryWriteAsync(() => tables.Users.UpdateEntityAsync(Identity(key, account.UserId), identity.ETag, TableUpdateMode.Replace, cancellationToken));
            }

            // Whatever happened (ours, another instance's move, a deletion), the rows say where the account is now.
            if (await FindByIdAsync(account.UserId, account.Email, cancellationToken) is not { } now)
            {
                return null;
            }

            account = now;
        }

        return account.Layout == AccountLayout.Current ? account : null;
    }

    /// <summary>
    /// A new account: its row first, then its email identity. False when the address is taken (the row just written
    /// is removed again). Uniqueness is the identity's insert itself (409), never read-then-write. The account starts
    /// with one device issued: the cookie of the browser that signs up (number 1). <paramref name="emailConfirmed"/>
    /// when a pending registration's link, which proved the mailbox, creates it.
    /// </summary>
    /// <param name="claimEmail">
    /// False for an account a provider created with an address it does not vouch for: the row is written, no identity
    /// is claimed (confirming the address claims it, <see cref="Email.MailLinks.ConfirmAsync"/>), and this returns true.
    /// </param>
    public async Task<bool> TryCreateAsync(
        string userId, string canonicalEmail, string passwordHash, DateTimeOffset createdAt, bool emailConfirmed, CancellationToken cancellationToken,
        bool claimEmail = true)
    {
        var account = new TableEntity(userId, AccountRow)
        {
            ["UserId"] = userId,
            ["Email"] = canonicalEmail,
            ["PasswordHash"] = passwordHash,
            ["CreatedAt"] = createdAt,
            [DevicesIssuedColumn] = FirstDevice,
            ["EmailConfirmed"] = emailConfirmed,
        };
        if (!claimEmail)
        {
            account[EmailUnclaimedColumn] = true;
        }

        // A 409 here is this insert's own, retried by the SDK after a lost answer: user ids are fresh.
        await TryWriteAsync(() => tables.Users.AddEntityAsync(account, cancellationToken), alsoFine: 409);
        if (!claimEmail || await TryClaimEmailAsync(canonicalEmail, userId, cancellationToken))
        {
            return true;
        }

        await TryWriteAsync(() => tables.Users.DeleteEntityAsync(userId, AccountRow, ETag.All, cancellationToken));
        return false;
    }

    /// <summary>
    /// Makes the address's identity point at <paramref name="userId"/>: true when it does (inserted now, taken over,
    /// or already this user's), false when another account has it. An identity that is absent by the rules (released,
    /// its account gone, or pointing elsewhere) is taken over with a conditional replace: every decision here is a
    /// conditional write, which storage applies one at a time. Before taking over an identity whose account does not
    /// point back, that account is written, so that an email change about to point it at this address fails its ETag
    /// instead of landing on an address that is no longer its own.
    /// </summary>
    public async Task<bool> TryClaimEmailAsync(string canonicalEmail, string userId, CancellationToken cancellationToken)
    {
        var key = KeyFor(canonicalEmail);
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            if (await TryWriteAsync(() => tables.Users.AddEntityAsync(Identity(key, userId), cancellationToken)))
            {
                return true;
            }

            var identity = await GetAsync(key, IdentityRow, cancellationToken);
            if (identity is null)
            {
                continue;
            }

            if (IsLegacy(identity) || !await IsClaimableByAsync(identity, key, userId, cancellationToken))
            {
                return false;
            }

            // Also when it is ours already (a concurrent use of the same link, a retried insert): written again, so that
            // a takeover decided on the row as it was (its account did not point back yet) fails its ETag.
            if (await TryWriteAsync(() => tables.Users.UpdateEntityAsync(Identity(key, userId), identity.ETag, TableUpdateMode.Replace, cancellationToken)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether the identity is <paramref name="userId"/>'s or counts as absent (then its account, if live, has been written first).</summary>
    private async Task<bool> IsClaimableByAsync(TableEntity identity, string key, string userId, CancellationToken cancellationToken)
    {
        var ownerId = AccountIdOf(identity);
        if (ownerId == userId || ownerId.Length == 0)
        {
            return true;
        }

        var owner = await GetAsync(ownerId, AccountRow, cancellationToken);
        if (owner is null)
        {
            // A legacy account being moved: the identity is its only copy until the account row is written.
            return !IsMoving(identity);
        }

        if (!IsLive(owner))
        {
            return true;
        }

        return KeyFor(owner.GetString("Email")) != key
            && await TryWriteAsync(() => tables.Users.UpdateEntityAsync(
                new TableEntity(owner.PartitionKey, AccountRow) { ["IdentityCheckedAt"] = time.GetUtcNow() }, owner.ETag, TableUpdateMode.Merge, cancellationToken));
    }

    /// <summary>
    /// Releases the address's identity if it points at <paramref name="userId"/> and that account no longer uses the
    /// address (the old address after an email change, the new one after a change that failed, a deleted account's):
    /// a conditional replace with a released identity (no account), which the next claim takes over. Released rows are
    /// not deleted: only conditional updates decide here (see <see cref="TryClaimEmailAsync"/>).
    /// </summary>
    public async Task ReleaseEmailAsync(string canonicalEmail, string userId, CancellationToken cancellationToken)
    {
        var key = KeyFor(canonicalEmail);
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var identity = await GetAsync(key, IdentityRow, cancellationToken);
            if (identity is null || IsLegacy(identity) || AccountIdOf(identity) != userId)
            {
                return;
            }

            var account = await GetAsync(userId, AccountRow, cancellationToken);
            if (account is not null && IsLive(account) && KeyFor(account.GetString("Email")) == key)
            {
                return;
            }

            if (await TryWriteAsync(() => tables.Users.UpdateEntityAsync(Identity(key, ""), identity.ETag, TableUpdateMode.Replace, cancellationToken)))
            {
                return;
            }
        }
    }

    /// <summary>Records a mail about to be sent (its token hash and time) if the row is unchanged since it was read (ETag).</summary>
    public Task<bool> TryStampMailAsync(UserAccount account, MailKind kind, MailStamp stamp, CancellationToken cancellationToken) =>
        TryMergeAsync(account, new() { [StampHash(kind)] = stamp.TokenHash, [StampAt(kind)] = stamp.At }, cancellationToken);

    /// <summary>Marks the address confirmed (ETag: of two concurrent confirmations one wins).</summary>
    public Task<bool> TryConfirmEmailAsync(UserAccount account, CancellationToken cancellationToken) =>
        TryMergeAsync(account, new() { ["EmailConfirmed"] = true, [EmailUnclaimedColumn] = false, [StampHash(MailKind.Confirm)] = "", [StampHash(MailKind.ClaimEmail)] = "" }, cancellationToken);

    /// <summary>
    /// Points the account at its new address, confirmed (the link reached it), and spends the change link (ETag: of two
    /// concurrent uses one wins). Links mailed to the old address (confirmation, reset) die with it: the old address may
    /// soon be someone else's. The caller has claimed the new address's identity first and releases the old one after.
    /// </summary>
    public Task<bool> TryChangeEmailAsync(UserAccount account, string newEmail, CancellationToken cancellationToken) =>
        TryMergeAsync(
            account,
            new() { ["Email"] = newEmail, ["EmailConfirmed"] = true, [EmailUnclaimedColumn] = false, [StampHash(MailKind.EmailChange)] = "", [StampHash(MailKind.Confirm)] = "", [StampHash(MailKind.Reset)] = "" },
            cancellationToken);

    /// <summary>
    /// Sets the password from a reset link and spends the link (ETag: of two concurrent uses one wins). The mail
    /// reached the owner, so the address is confirmed too; an email change still pending is voided.
    /// </summary>
    public Task<bool> TryResetPasswordAsync(UserAccount account, string passwordHash, CancellationToken cancellationToken) =>
        TryMergeAsync(
            account,
            new()
            {
                [PasswordHashColumn] = StoredHash(passwordHash, account.Mfa.TotpEnabled),
                ["EmailConfirmed"] = true,
                [StampHash(MailKind.Reset)] = "",
                [StampHash(MailKind.EmailChange)] = "",
                [DeviceFloorColumn] = account.DevicesIssued,
            },
            cancellationToken);

    /// <summary>
    /// Disables or enables the account (ETag: a concurrent change is read again by the caller). Disabling also voids
    /// what was outstanding: reset and email-change links, and second steps of sign-ins started before it, so that
    /// enabling the account later (its mailbox or password may have been why it was disabled) does not revive them.
    /// </summary>
    public Task<bool> TrySetDisabledAsync(UserAccount account, bool disabled, CancellationToken cancellationToken) =>
        TryMergeAsync(
            account,
            disabled
                ? new()
                {
                    [DisabledColumn] = true,
                    [StampHash(MailKind.Reset)] = "",
                    [StampHash(MailKind.EmailChange)] = "",
                    [MfaPendingFloorColumn] = Math.Max(account.Mfa.PendingFloor, time.GetUtcNow().ToUnixTimeMilliseconds()),
                }
                : new() { [DisabledColumn] = false },
            cancellationToken);

    /// <summary>Counts one more device cookie issued (ETag as above): the new cookie's number is the account's <see cref="UserAccount.DevicesIssued"/> plus one.</summary>
    public Task<bool> TryRecordDeviceAsync(UserAccount account, CancellationToken cancellationToken) =>
        TryMergeAsync(account, new() { [DevicesIssuedColumn] = account.DevicesIssued + 1 }, cancellationToken);

    /// <summary>
    /// Writes the account's second factors as <paramref name="next"/> says, if the row is unchanged since it was read
    /// (ETag): of two code checks, recovery-code uses or pending sign-ins racing on one account, exactly one lands.
    /// </summary>
    /// <returns>The account as written (its new ETag), or null when the row changed or vanished.</returns>
    public async Task<UserAccount?> TryWriteMfaAsync(UserAccount account, MfaState next, CancellationToken cancellationToken)
    {
        var patch = MfaPatch(account, next);
        ETag written = default;
        return await TryWriteAsync(async () => written = (await tables.Users.UpdateEntityAsync(patch, account.ETag, TableUpdateMode.Merge, cancellationToken)).Headers.ETag ?? default)
            ? account with { Mfa = next, ETag = written }
            : null;
    }

    /// <summary>The merge that writes the account's second factors as <paramref name="next"/> says (apply it with the account's ETag).</summary>
    public static TableEntity MfaPatch(UserAccount account, MfaState next)
    {
        RequireCurrent(account);
        return new TableEntity(account.UserId, AccountRow)
        {
            [PasswordHashColumn] = StoredHash(account.PasswordHash, next.TotpEnabled),
            [TotpSecretColumn] = next.TotpSecret,
            [TotpPendingColumn] = next.TotpPending,
            [TotpLastStepColumn] = next.TotpLastStep,
            [RecoveryCodesColumn] = string.Join(',', next.RecoveryCodes),
            [MfaPendingFloorColumn] = next.PendingFloor,
        };
    }

    /// <summary>
    /// The merge that sets the account's passkey count (and the registration challenges' floor), applied with the
    /// account's ETag in one transaction with the passkey row it adds or removes (<see cref="Passkeys.PasskeyRepository"/>).
    /// </summary>
    public static TableEntity PasskeyCountPatch(UserAccount account, int count, long floor)
    {
        RequireCurrent(account);
        return new TableEntity(account.UserId, AccountRow) { [PasskeyCountColumn] = count, [PasskeyFloorColumn] = floor };
    }

    /// <summary>
    /// The merge that sets how many provider identities the account has, applied with the account's ETag in one
    /// transaction with the link row it adds or removes (<see cref="Oidc.OidcIdentities"/>).
    /// </summary>
    public static TableEntity OidcCountPatch(UserAccount account, int count)
    {
        RequireCurrent(account);
        return new TableEntity(account.UserId, AccountRow) { [OidcCountColumn] = count };
    }

    /// <summary>Replaces the hash if the row is unchanged since it was read (ETag); a lost race is harmless.</summary>
    public Task<bool> TryUpdatePasswordHashAsync(UserAccount account, string passwordHash, CancellationToken cancellationToken) =>
        TryMergeAsync(account, new() { [PasswordHashColumn] = StoredHash(passwordHash, account.Mfa.TotpEnabled) }, cancellationToken);

    /// <summary>
    /// A new password chosen by the signed-in user: also voids any reset or email-change link still out and every
    /// device cookie issued so far, and counts one new device, the browser that made the change (its number is
    /// <see cref="UserAccount.DevicesIssued"/> plus one). ETag as above.
    /// </summary>
    public Task<bool> TryChangePasswordAsync(UserAccount account, string passwordHash, CancellationToken cancellationToken) =>
        TryMergeAsync(
            account,
            new()
            {
                [PasswordHashColumn] = StoredHash(passwordHash, account.Mfa.TotpEnabled),
                [StampHash(MailKind.Reset)] = "",
                [StampHash(MailKind.EmailChange)] = "",
                [DeviceFloorColumn] = account.DevicesIssued,
                [DevicesIssuedColumn] = account.DevicesIssued + 1,
            },
            cancellationToken);

    /// <summary>
    /// Deletes the account if unchanged since it was read (ETag): the row becomes a tombstone (no data), then its
    /// email identity goes, and the address can sign up again.
    /// </summary>
    public async Task<bool> TryDeleteAsync(UserAccount account, CancellationToken cancellationToken)
    {
        RequireCurrent(account);
        var tombstone = new TableEntity(account.UserId, AccountRow) { [DeletedColumn] = true, ["DeletedAt"] = time.GetUtcNow() };
        if (!await TryWriteAsync(() => tables.Users.UpdateEntityAsync(tombstone, account.ETag, TableUpdateMode.Replace, cancellationToken)))
        {
            return false;
        }

        await ReleaseEmailAsync(account.Email, account.UserId, cancellationToken);
        return true;
    }

    /// <summary>
    /// The optional background pass: moves up to <paramref name="max"/> legacy accounts, going on from where the last
    /// run stopped (a cursor row in this table). Returns how many it moved; after one whole pass it does nothing
    /// (accounts an instance of the previous release creates later are moved when first written).
    /// </summary>
    public async Task<int> MoveLegacyAccountsAsync(int max, CancellationToken cancellationToken)
    {
        var cursor = await GetAsync(CursorPartition, CursorRow, cancellationToken);
        if (max <= 0 || cursor?.GetBoolean("Done") == true)
        {
            return 0;
        }

        var (moved, scanned) = (0, 0);
        var filter = TableClient.CreateQueryFilter($"RowKey eq {IdentityRow}");
        var continuation = cursor?.GetString("Continuation") is { Length: > 0 } saved ? saved : null;
        var pages = tables.Users.QueryAsync<TableEntity>(filter, maxPerPage: Math.Min(max, 1000), cancellationToken: cancellationToken).AsPages(continuation);
        await foreach (var page in pages)
        {
            foreach (var row in page.Values)
            {
                var account = IsLegacy(row) ? ReadAccount(row, "", AccountLayout.Legacy) : IsMoving(row) ? ReadAccount(row, MovingPrefix, AccountLayout.Moving) : null;
                if (account is not null && await EnsureCurrentAsync(account, cancellationToken) is not null)
                {
                    moved++;
                }
            }

            // Saved after each page, so a run stopped midway (a host shutting down) resumes there. Unconditional: two
            // instances' passes over the same rows only repeat idempotent moves.
            continuation = page.ContinuationToken;
            var next = new TableEntity(CursorPartition, CursorRow) { ["Continuation"] = continuation ?? "", ["Done"] = continuation is null, ["MovedAt"] = time.GetUtcNow() };
            await tables.Users.UpsertEntityAsync(next, TableUpdateMode.Replace, cancellationToken);
            scanned += page.Values.Count;
            if (continuation is null || scanned >= max)
            {
                break;
            }
        }

        return moved;
    }

    private async Task<bool> TryMergeAsync(UserAccount account, Dictionary<string, object> changes, CancellationToken cancellationToken)
    {
        RequireCurrent(account);
        var patch = new TableEntity(changes) { PartitionKey = account.UserId, RowKey = AccountRow };
        return await TryWriteAsync(() => tables.Users.UpdateEntityAsync(patch, account.ETag, TableUpdateMode.Merge, cancellationToken));
    }

    /// <summary>Writes go to the account row only: a legacy or moving account is moved first (<see cref="EnsureCurrentAsync"/>).</summary>
    private static void RequireCurrent(UserAccount account)
    {
        if (account.Layout != AccountLayout.Current)
        {
            throw new InvalidOperationException($"A {account.Layout} account is written only after EnsureCurrentAsync has moved it to its own row.");
        }
    }

    /// <summary>True when the write landed; false on a conflict (412, 409) or a row gone (404), unless that status is <paramref name="alsoFine"/>.</summary>
    private static async Task<bool> TryWriteAsync(Func<Task> write, int alsoFine = 0)
    {
        try
        {
            await write();
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412 or 404)
        {
            return e.Status == alsoFine;
        }
    }

    private async Task<TableEntity?> GetAsync(string partitionKey, string rowKey, CancellationToken cancellationToken)
    {
        var row = await tables.Users.GetEntityIfExistsAsync<TableEntity>(partitionKey, rowKey, cancellationToken: cancellationToken);
        return row.HasValue ? row.Value : null;
    }

    private TableEntity Identity(string key, string userId) => new(key, IdentityRow)
    {
        [KindColumn] = EmailKind,
        [AccountIdColumn] = userId,
        ["PasswordHash"] = hasher.NewUnmatchableHash(),
        ["CreatedAt"] = time.GetUtcNow(),
    };

    /// <summary>The legacy row as an identity that carries the account's columns (prefixed, so the previous release reads none of them).</summary>
    private TableEntity MovingIdentity(TableEntity legacy)
    {
        var identity = Identity(legacy.PartitionKey, legacy.GetString("UserId"));
        foreach (var (name, value) in legacy.Where(p => !IsSystemColumn(p.Key)))
        {
            identity[MovingPrefix + name] = value;
        }

        return identity;
    }

    private static TableEntity AccountFromMoving(TableEntity identity)
    {
        var account = new TableEntity(AccountIdOf(identity), AccountRow);
        foreach (var (name, value) in identity.Where(p => p.Key.StartsWith(MovingPrefix, StringComparison.Ordinal)))
        {
            account[name[MovingPrefix.Length..]] = value;
        }

        return account;
    }

    private static UserAccount ReadAccount(TableEntity entity, string prefix, AccountLayout layout)
    {
        var stamps = new Dictionary<MailKind, MailStamp>();
        foreach (var kind in Enum.GetValues<MailKind>())
        {
            if (entity.GetString(prefix + StampHash(kind)) is { Length: > 0 } hash && entity.GetDateTimeOffset(prefix + StampAt(kind)) is { } at)
            {
                stamps[kind] = new MailStamp(hash, at);
            }
        }

        return new UserAccount(
            entity.GetString(prefix + "UserId"),
            entity.GetString(prefix + "Email"),
            PasswordHashOf(entity.GetString(prefix + PasswordHashColumn)),
            entity.ETag,
            entity.GetBoolean(prefix + "EmailConfirmed") ?? false)
        {
            MailStamps = stamps,
            // Absent in rows written before device cookies were counted: nothing issued, nothing voided.
            DevicesIssued = entity.GetInt64(prefix + DevicesIssuedColumn) ?? 0,
            DeviceFloor = entity.GetInt64(prefix + DeviceFloorColumn) ?? 0,
            Mfa = new MfaState(
                entity.GetString(prefix + TotpSecretColumn) ?? "",
                entity.GetString(prefix + TotpPendingColumn) ?? "",
                entity.GetInt64(prefix + TotpLastStepColumn) ?? 0,
                (entity.GetString(prefix + RecoveryCodesColumn) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries),
                entity.GetInt64(prefix + MfaPendingFloorColumn) ?? 0),
            Passkeys = entity.GetInt32(prefix + PasskeyCountColumn) ?? 0,
            PasskeyFloor = entity.GetInt64(prefix + PasskeyFloorColumn) ?? 0,
            ProviderIdentities = entity.GetInt32(prefix + OidcCountColumn) ?? 0,
            EmailClaimed = entity.GetBoolean(prefix + EmailUnclaimedColumn) != true,
            Disabled = entity.GetBoolean(prefix + DisabledColumn) == true,
            CreatedAt = entity.GetDateTimeOffset(prefix + "CreatedAt"),
            Layout = layout,
        };
    }

    /// <summary>A row of the previous release at the email key: an account, not an identity.</summary>
    private static bool IsLegacy(TableEntity row) => row.GetString(KindColumn) is null && row.GetString("UserId") is { Length: > 0 };

    private static bool IsMoving(TableEntity identity) => identity.GetString(MovingPrefix + "UserId") is { Length: > 0 };

    private static bool IsLive(TableEntity account) => account.GetBoolean(DeletedColumn) != true;

    private static string AccountIdOf(TableEntity identity) => identity.GetString(AccountIdColumn) ?? "";

    private static bool IsSystemColumn(string name) => name is "PartitionKey" or "RowKey" or "Timestamp" or "odata.etag";

    private static string StampHash(MailKind kind) => kind + "MailHash";

    private static string StoredHash(string passwordHash, bool secondFactor) => secondFactor ? SecondFactorFence + passwordHash : passwordHash;

    private static string PasswordHashOf(string? stored) =>
        stored is not null && stored.StartsWith(SecondFactorFence, StringComparison.Ordinal) ? stored[SecondFactorFence.Length..] : stored ?? "";

    private static string StampAt(MailKind kind) => kind + "MailAt";

    private static string KeyFor(string? canonicalEmail) => canonicalEmail is null ? "" : EmailAddress.StorageKey(canonicalEmail);
}
