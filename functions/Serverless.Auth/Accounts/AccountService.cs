using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Auth.Email;
using Serverless.Auth.Passwords;
using Serverless.Auth.Throttling;
using Serverless.Auth.Tokens;

namespace Serverless.Auth.Accounts;

internal abstract record SignupResult
{
    public sealed record SignedUp(string UserId, string Email) : SignupResult;
    public sealed record Invalid(Dictionary<string, string[]> Errors) : SignupResult;
    public sealed record EmailTaken(string Email) : SignupResult;
    /// <summary>Confirmation required: a pending registration waits for its link, whether or not the address is registered.</summary>
    public sealed record Pending : SignupResult;
}

/// <summary>The outcome of checking an email and password: a login, or the re-authentication before a sensitive change.</summary>
internal abstract record CredentialCheck
{
    /// <param name="Device">The device cookie the client presented, when the account honours it (it is issued again, not a new one).</param>
    public sealed record Matched(UserAccount Account, DeviceCookie? Device = null) : CredentialCheck;
    /// <summary>Unknown email and wrong password alike: callers must not be able to tell them apart (the user id is for the event log only).</summary>
    public sealed record Rejected(string? UserId = null) : CredentialCheck;
    /// <summary>Too many recent failures for this email (registered or not): wait, whatever the password.</summary>
    public sealed record Throttled(TimeSpan RetryAfter, string? UserId = null) : CredentialCheck;
}

internal abstract record PasswordChangeResult
{
    /// <param name="Account">The account as written: its newest device number is the changing browser's.</param>
    public sealed record Changed(UserAccount Account) : PasswordChangeResult;
    public sealed record Invalid(Dictionary<string, string[]> Errors) : PasswordChangeResult;
    /// <summary>The account changed or vanished meanwhile (another password change, a deletion).</summary>
    public sealed record Conflict : PasswordChangeResult;
}

/// <summary>Signup, login, password change and deletion: the account rules, independent of HTTP.</summary>
internal sealed partial class AccountService(
    UserRepository users,
    Passkeys.PasskeyRepository passkeys,
    Oidc.OidcIdentities providerIdentities,
    Events.EventLog eventLog,
    PendingRegistrations registrations,
    PasswordHasher hasher,
    PasswordPolicy policy,
    LoginThrottle throttle,
    TimeProvider time,
    IOptions<ThrottlingOptions> throttling,
    ILogger<AccountService> logger)
{
    private readonly int maxDevices = throttling.Value.MaxDevicesPerAccount;

    /// <param name="requireConfirmed">
    /// Signup must not reveal whether the address was free: no account and no look-up, only a pending
    /// registration (the same work for every address, hash included); its link creates the account.
    /// </param>
    public async Task<SignupResult> SignupAsync(string email, string password, bool requireConfirmed, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (!EmailAddress.TryCanonicalize(email, out var canonicalEmail, out var emailProblem))
        {
            errors["email"] = [emailProblem];
        }

        if (policy.Check(password, canonicalEmail ?? email) is { } passwordProblem)
        {
            errors["password"] = [passwordProblem];
        }

        if (errors.Count > 0)
        {
            return new SignupResult.Invalid(errors);
        }

        var passwordHash = await hasher.HashAsync(password, cancellationToken);
        var userId = Guid.CreateVersion7().ToString();
        if (requireConfirmed)
        {
            await registrations.StartAsync(userId, canonicalEmail!, passwordHash, cancellationToken);
            return new SignupResult.Pending();
        }

        if (!await users.TryCreateAsync(userId, canonicalEmail!, passwordHash, time.GetUtcNow(), emailConfirmed: false, cancellationToken))
        {
            return new SignupResult.EmailTaken(canonicalEmail!);
        }

        // Failures recorded against the address before it was registered belong to no one: a new account starts clean.
        await throttle.ResetAsync(ThrottleKey.Account(canonicalEmail!), cancellationToken);

        LogSignedUp(logger, userId);
        return new SignupResult.SignedUp(userId, canonicalEmail!);
    }

    /// <param name="presentedDevice">Given the account key, the device cookie the client presented for that account, or null.</param>
    /// <param name="whenMatched">
    /// Runs when the password matched, while the backoff is cleared: the two writes are independent, so
    /// a login waits for one round trip instead of two.
    /// </param>
    public async Task<CredentialCheck> LoginAsync(
        string email, string password, Func<string, DeviceCookie?> presentedDevice, Func<CredentialCheck.Matched, Task> whenMatched, CancellationToken cancellationToken)
    {
        if (!EmailAddress.TryCanonicalize(email, out var canonicalEmail, out _) || policy.IsTooLong(password))
        {
            // No account can match: nothing to look up, nothing worth hashing.
            return new CredentialCheck.Rejected();
        }

        var (result, clearing) = await CheckAsync(canonicalEmail, users.FindByEmailAsync(canonicalEmail, cancellationToken), password, presentedDevice, cancellationToken);
        if (result is CredentialCheck.Matched loggedIn)
        {
            await Task.WhenAll(clearing, whenMatched(loggedIn));
            LogLoggedIn(logger, loggedIn.Account.UserId);
        }

        return result;
    }

    /// <summary>
    /// The password check behind sensitive changes of the signed-in user (found by the token's subject; the
    /// token's email finds an account the previous release stored), as for login: the owner's trusted device
    /// checks against its own backoff, so an attacker holding the account-wide one does not lock them out.
    /// </summary>
    public async Task<CredentialCheck> CheckPasswordAsync(
        string userId, string emailHint, string password, Func<string, DeviceCookie?> presentedDevice, CancellationToken cancellationToken)
    {
        if (policy.IsTooLong(password) || await users.FindByIdAsync(userId, emailHint, cancellationToken) is not { } account)
        {
            return new CredentialCheck.Rejected();
        }

        var (result, clearing) = await CheckAsync(account.Email, Task.FromResult<UserAccount?>(account), password, presentedDevice, cancellationToken);
        await clearing;
        return result;
    }

    /// <summary>
    /// Each check is reserved in the backoff (keyed by the address, registered or not) and counts as a failure unless
    /// it succeeds: against the device when the client presents a device cookie for this account, else against the
    /// address. <paramref name="lookup"/> is already under way. Returns the outcome and, for a match, the clearing of
    /// the backoff, still under way.
    /// </summary>
    private async Task<(CredentialCheck Result, Task Clearing)> CheckAsync(
        string canonicalEmail, Task<UserAccount?> lookup, string password, Func<string, DeviceCookie?> presentedDevice, CancellationToken cancellationToken)
    {
        // A device cookie whose mac checks out chooses its own backoff row before the account is read.
        var device = presentedDevice(EmailAddress.StorageKey(canonicalEmail));
        var key = device is not null ? ThrottleKey.Device(device.DeviceId) : ThrottleKey.Account(canonicalEmail);

        // Independent: read the backoff and look the account up at the same time.
        var reading = throttle.ReadAsync(key, cancellationToken);
        await Task.WhenAll(reading, lookup);
        var backoff = await reading;
        if (device is not null && (await lookup is not { } owner || !device.IsHonouredBy(owner, maxDevices)))
        {
            // Voided (a credential change, a deletion, too many devices since): as if no cookie was sent.
            device = null;
            key = ThrottleKey.Account(canonicalEmail);
            backoff = await throttle.ReadAsync(key, cancellationToken);
        }

        var wait = throttle.WaitFor(backoff);
        if (wait > TimeSpan.Zero)
        {
            // Refused before hashing: a blocked account costs an attacker's burst no CPU here.
            LogLoginThrottled(logger);
            return (new CredentialCheck.Throttled(wait, (await lookup)?.UserId), Task.CompletedTask);
        }

        // The attempt is reserved while the hash runs (its write is sent first, the hash then takes this
        // thread). The outcome is used only once the reservation is granted, so every check is counted
        // before anyone learns its result; one that lost its reservation to a burst is dropped unseen. When
        // every hashing slot is taken (a burst), the check waits for its reservation instead and queues only
        // if granted: slots go to checks that count, not to a burst the backoff refuses anyway.
        var account = await lookup;
        var reserving = throttle.ReserveAsync(key, backoff, cancellationToken);
        var checking = hasher.HasFreeSlot ? CheckAgainstAsync(account, password, cancellationToken) : null;
        var reservation = await reserving;
        if (!reservation.Granted)
        {
            // A check already hashing finishes unseen.
            await (checking ?? Task.CompletedTask);
            LogLoginThrottled(logger);
            return (new CredentialCheck.Throttled(reservation.RetryAfter, account?.UserId), Task.CompletedTask);
        }

        var check = await (checking ?? CheckAgainstAsync(account, password, cancellationToken));
        if (account is null || check == PasswordCheck.Mismatch)
        {
            // Already counted by the reservation.
            LogLoginRejected(logger);
            return (new CredentialCheck.Rejected(account?.UserId), Task.CompletedTask);
        }

        var clearing = throttle.ClearAsync(key, reservation, cancellationToken);
        if (check == PasswordCheck.MatchNeedsRehash)
        {
            await clearing;
            var upgraded = await hasher.HashAsync(password, cancellationToken);
            if (await WriteWhilePasswordUnchangedAsync(account, current => users.TryUpdatePasswordHashAsync(current, upgraded, cancellationToken), cancellationToken) is { } written)
            {
                LogHashUpgraded(logger, account.UserId);
                // The row as it is now, for the writes this login makes next (a new device).
                account = await users.FindByIdAsync(written.UserId, null, cancellationToken) ?? written;
            }
        }

        return (new CredentialCheck.Matched(account, device), clearing);
    }

    private async Task<PasswordCheck> CheckAgainstAsync(UserAccount? account, string password, CancellationToken cancellationToken)
    {
        if (account is null || !account.HasPassword)
        {
            // Same cost as a real check, so response time does not reveal whether the email exists (or has a password).
            await hasher.BurnVerificationAsync(password, cancellationToken);
            return PasswordCheck.Mismatch;
        }

        return await hasher.VerifyAsync(password, account.PasswordHash, cancellationToken);
    }

    /// <summary>
    /// Sets a new password for an account whose current password was just checked. Nothing is left half
    /// done: <paramref name="endSessions"/> runs before the write (should the write fail, or its answer be
    /// lost, no session from before survives it, and the old password still works if it did not land) and
    /// again after it (a login with the old password in between).
    /// </summary>
    public async Task<PasswordChangeResult> ChangePasswordAsync(
        UserAccount account, string newPassword, Func<Task> endSessions, CancellationToken cancellationToken)
    {
        if (policy.Check(newPassword, account.Email) is { } problem)
        {
            return new PasswordChangeResult.Invalid(new() { ["newPassword"] = [problem] });
        }

        var passwordHash = await hasher.HashAsync(newPassword, cancellationToken);
        await endSessions();
        if (await WriteWhilePasswordUnchangedAsync(account, current => users.TryChangePasswordAsync(current, passwordHash, cancellationToken), cancellationToken) is not { } written)
        {
            return new PasswordChangeResult.Conflict();
        }

        await endSessions();
        LogPasswordChanged(logger, account.UserId);
        return new PasswordChangeResult.Changed(written with { DeviceFloor = written.DevicesIssued, DevicesIssued = written.DevicesIssued + 1 });
    }

    /// <summary>
    /// Counts a new device cookie for the account that just signed in, unless its password changed
    /// meanwhile: the new cookie's number, or null (then the cookie issued carries 0 and is never honoured).
    /// </summary>
    public async Task<long?> RecordDeviceAsync(UserAccount account, CancellationToken cancellationToken) =>
        await WriteWhilePasswordUnchangedAsync(account, current => users.TryRecordDeviceAsync(current, cancellationToken), cancellationToken) is { } written
            ? written.DevicesIssued + 1
            : null;

    /// <summary>
    /// Runs a conditional (ETag) write of the account whose password was just checked, after moving it to its own
    /// row if the previous release stored it. When the row changed meanwhile, it is read again: an unrelated write
    /// (a mail being recorded, the address confirmed) does not stop the change, another password change or a
    /// deletion does. Returns the account as written, or null.
    /// </summary>
    private async Task<UserAccount?> WriteWhilePasswordUnchangedAsync(UserAccount account, Func<UserAccount, Task<bool>> write, CancellationToken cancellationToken)
    {
        var checkedHash = account.PasswordHash;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            if (account.Layout != AccountLayout.Current)
            {
                if (await users.EnsureCurrentAsync(account, cancellationToken) is not { } moved || moved.PasswordHash != checkedHash)
                {
                    return null;
                }

                account = moved;
            }

            if (await write(account))
            {
                return account;
            }

            if (await users.FindByIdAsync(account.UserId, account.Email, cancellationToken) is not { } current || current.PasswordHash != checkedHash)
            {
                return null;
            }

            account = current;
        }

        return null;
    }

    /// <summary>The account in its own row, moved there first if the previous release stored it; null when it is gone.</summary>
    public Task<UserAccount?> EnsureCurrentAsync(UserAccount account, CancellationToken cancellationToken) =>
        users.EnsureCurrentAsync(account, cancellationToken);

    /// <summary>Deletes the account, its per-account backoff, passkeys, provider links and own events; the caller ends its sessions. False when it changed meanwhile.</summary>
    public async Task<bool> DeleteAsync(UserAccount account, CancellationToken cancellationToken)
    {
        if (await WriteWhilePasswordUnchangedAsync(account, current => users.TryDeleteAsync(current, cancellationToken), cancellationToken) is null)
        {
            return false;
        }

        await Task.WhenAll(
            throttle.ResetAsync(ThrottleKey.Account(account.Email), cancellationToken),
            passkeys.RemoveAllAsync(account.UserId, cancellationToken),
            providerIdentities.RemoveAllAsync(account.UserId, cancellationToken),
            eventLog.DeleteUserAsync(account.UserId, cancellationToken));
        LogAccountDeleted(logger, account.UserId);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "User {UserId} signed up")]
    private static partial void LogSignedUp(ILogger logger, string userId);

    [LoggerMessage(Level = LogLevel.Information, Message = "User {UserId} logged in")]
    private static partial void LogLoggedIn(ILogger logger, string userId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Login rejected")]
    private static partial void LogLoginRejected(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Login refused: too many recent failures for this account")]
    private static partial void LogLoginThrottled(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "User {UserId} changed their password")]
    private static partial void LogPasswordChanged(ILogger logger, string userId);

    [LoggerMessage(Level = LogLevel.Information, Message = "User {UserId} deleted their account")]
    private static partial void LogAccountDeleted(ILogger logger, string userId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Password hash of user {UserId} upgraded to the current Argon2 parameters")]
    private static partial void LogHashUpgraded(ILogger logger, string userId);
}
