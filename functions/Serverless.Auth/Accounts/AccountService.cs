using Microsoft.Extensions.Logging;
using Serverless.Auth.Passwords;
using Serverless.Auth.Throttling;
using Serverless.Auth.Tokens;

namespace Serverless.Auth.Accounts;

internal abstract record SignupResult
{
    public sealed record SignedUp(IssuedToken Token) : SignupResult;
    public sealed record Invalid(Dictionary<string, string[]> Errors) : SignupResult;
    public sealed record EmailTaken : SignupResult;
}

internal abstract record LoginResult
{
    public sealed record LoggedIn(IssuedToken Token) : LoginResult;
    /// <summary>Unknown email and wrong password alike: callers must not be able to tell them apart.</summary>
    public sealed record Rejected : LoginResult;
    /// <summary>Too many recent failures for this email (registered or not): wait, whatever the password.</summary>
    public sealed record Throttled(TimeSpan RetryAfter) : LoginResult;
}

/// <summary>Signup and login: the account rules, independent of HTTP.</summary>
internal sealed partial class AccountService(
    UserRepository users,
    PasswordHasher hasher,
    PasswordPolicy policy,
    LoginThrottle throttle,
    AccessTokens tokens,
    TimeProvider time,
    ILogger<AccountService> logger)
{
    public async Task<SignupResult> SignupAsync(string email, string password, CancellationToken cancellationToken)
    {
        var normalizedEmail = EmailAddress.Normalize(email);
        var errors = new Dictionary<string, string[]>();
        if (!EmailAddress.IsValid(normalizedEmail))
        {
            errors["email"] = [$"Enter a valid email address of at most {EmailAddress.MaxLength} characters."];
        }

        if (policy.Check(password, normalizedEmail) is { } passwordProblem)
        {
            errors["password"] = [passwordProblem];
        }

        if (errors.Count > 0)
        {
            return new SignupResult.Invalid(errors);
        }

        var passwordHash = await hasher.HashAsync(password, cancellationToken);
        var userId = Guid.CreateVersion7().ToString();
        if (!await users.TryCreateAsync(userId, normalizedEmail, passwordHash, time.GetUtcNow(), cancellationToken))
        {
            return new SignupResult.EmailTaken();
        }

        LogSignedUp(logger, userId);
        return new SignupResult.SignedUp(tokens.Issue(userId, normalizedEmail));
    }

    public async Task<LoginResult> LoginAsync(string email, string password, CancellationToken cancellationToken)
    {
        var normalizedEmail = EmailAddress.Normalize(email);
        if (!EmailAddress.IsValid(normalizedEmail) || policy.IsTooLong(password))
        {
            // No account can match: nothing to look up, nothing worth hashing.
            return new LoginResult.Rejected();
        }

        // Two independent point reads: issue them together, so login pays one storage round trip.
        var throttleCheck = throttle.CheckAsync(normalizedEmail, cancellationToken);
        var lookup = users.FindAsync(normalizedEmail, cancellationToken);
        await Task.WhenAll(throttleCheck, lookup);
        var (wait, hasFailures) = await throttleCheck;
        if (wait > TimeSpan.Zero)
        {
            LogLoginThrottled(logger);
            return new LoginResult.Throttled(wait);
        }

        var account = await lookup;
        var check = PasswordCheck.Mismatch;
        if (account is null)
        {
            // Same cost as a real check, so response time does not reveal whether the email exists.
            await hasher.BurnVerificationAsync(password, cancellationToken);
        }
        else
        {
            check = await hasher.VerifyAsync(password, account.PasswordHash, cancellationToken);
        }

        if (account is null || check == PasswordCheck.Mismatch)
        {
            await throttle.RecordFailureAsync(normalizedEmail, cancellationToken);
            LogLoginRejected(logger);
            return new LoginResult.Rejected();
        }

        if (hasFailures)
        {
            await throttle.ResetAsync(normalizedEmail, cancellationToken);
        }

        if (check == PasswordCheck.MatchNeedsRehash)
        {
            var upgraded = await hasher.HashAsync(password, cancellationToken);
            if (await users.TryUpdatePasswordHashAsync(account, upgraded, cancellationToken))
            {
                LogHashUpgraded(logger, account.UserId);
            }
        }

        LogLoggedIn(logger, account.UserId);
        return new LoginResult.LoggedIn(tokens.Issue(account.UserId, account.Email));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "User {UserId} signed up")]
    private static partial void LogSignedUp(ILogger logger, string userId);

    [LoggerMessage(Level = LogLevel.Information, Message = "User {UserId} logged in")]
    private static partial void LogLoggedIn(ILogger logger, string userId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Login rejected")]
    private static partial void LogLoginRejected(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Login refused: too many recent failures for this account")]
    private static partial void LogLoginThrottled(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Password hash of user {UserId} upgraded to the current Argon2 parameters")]
    private static partial void LogHashUpgraded(ILogger logger, string userId);
}
