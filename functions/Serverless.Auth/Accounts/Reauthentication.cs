using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Auth.Http;
using Serverless.Auth.Mfa;
using Serverless.Auth.Throttling;
using Serverless.Auth.Tokens;

namespace Serverless.Auth.Accounts;

/// <summary>
/// The re-authentication before a sensitive change (password change, deletion, email change, MFA changes), for the
/// account of the token's subject: the password, checked under the backoff as a login is (the device's own, for a
/// trusted device; else the account's), a wrong one answered as a field error on the request's password field; then,
/// for an account with a second factor, the step-up (<see cref="StepUp"/>).
/// </summary>
internal static class Reauthentication
{
    /// <returns>The account to change (as written, if a code was spent) and the second-factor method checked now, if any; or the problem to answer.</returns>
    public static async Task<(UserAccount? Account, ProblemHttpResult? Problem, string? SecondFactorMethod)> CheckAsync(
        AccountService accounts, DeviceCookies devices, HttpContext context, TokenSubject subject, string? password, string field, string wrongMessage,
        ISecondFactorAnswer secondFactor)
    {
        if (string.IsNullOrEmpty(password))
        {
            return await WithoutPasswordAsync(accounts, context, subject, field);
        }

        var check = await accounts.CheckPasswordAsync(
            subject.UserId, subject.Email, password, accountKey => devices.Presented(context.Request, accountKey), context.RequestAborted);
        switch (check)
        {
            case CredentialCheck.Matched(var account, _):
                var (stepped, method, problem) = await context.RequestServices.GetRequiredService<StepUp>()
                    .CheckAsync(account, subject, secondFactor, context.Response, context.RequestAborted);
                return (stepped, problem, method);
            case CredentialCheck.Throttled(var wait, _):
                await context.RequestServices.GetRequiredService<Events.AuthEvents>().RaiseAsync(context, Events.AuthEventKind.LoginThrottled, subject.UserId, subject.SessionId, "reauthentication");
                return (null, Problems.TooManyRequests(context.Response, wait, "Too many failed password checks for this account. Wait before trying again."), null);
            default:
                await context.RequestServices.GetRequiredService<Events.AuthEvents>().RaiseAsync(context, Events.AuthEventKind.LoginFailed, subject.UserId, subject.SessionId, "reauthentication");
                return (null, Problems.Invalid(field, wrongMessage), null);
        }
    }

    /// <summary>
    /// No password given: only an account that has none (a provider made it) goes on, and only within the step-up window
    /// of its last sign-in by a provider, a passkey or a second factor; anyone else is told the password is required.
    /// </summary>
    private static async Task<(UserAccount? Account, ProblemHttpResult? Problem, string? SecondFactorMethod)> WithoutPasswordAsync(
        AccountService accounts, HttpContext context, TokenSubject subject, string field)
    {
        var services = context.RequestServices;
        if (await services.GetRequiredService<UserRepository>().FindByIdAsync(subject.UserId, subject.Email, context.RequestAborted) is not { HasPassword: false } account)
        {
            return (null, Problems.Invalid(field, "Password is required."), null);
        }

        if (!services.GetRequiredService<StepUp>().IsRecent(subject))
        {
            return (null, Problems.Invalid(field, "This account has no password: sign in again (with your provider or a passkey) and make this change within Auth__Mfa__StepUpSeconds."), null);
        }

        var (current, gone) = await InOwnRowAsync(accounts, account, context);
        return (current, gone, null);
    }

    /// <summary>
    /// The re-authentication of changes a fresh sign-in may stand for (adding or deleting a passkey, linking a provider):
    /// none within the step-up window of this session's last second-factor check (a passkey sign-in, a second step, or a
    /// provider sign-in of an account without a password), else the password (and, with TOTP on, a code) as above.
    /// </summary>
    /// <returns>The account in its own row, or the problem to answer.</returns>
    public static async Task<(UserAccount? Account, ProblemHttpResult? Problem)> RecentOrPasswordAsync(
        HttpContext context, TokenSubject subject, string? password, ISecondFactorAnswer secondFactor)
    {
        var services = context.RequestServices;
        var accounts = services.GetRequiredService<AccountService>();
        if (services.GetRequiredService<StepUp>().IsRecent(subject))
        {
            return await InOwnRowAsync(accounts, await services.GetRequiredService<UserRepository>().FindByIdAsync(subject.UserId, subject.Email, context.RequestAborted), context);
        }

        if (string.IsNullOrEmpty(password))
        {
            return (null, Problems.Invalid("password", "Your password is required for this change (or sign in again: with a passkey, a second factor, or your provider for an account without a password)."));
        }

        var (checkedAccount, problem, _) = await CheckAsync(
            accounts, services.GetRequiredService<DeviceCookies>(), context, subject, password, "password", "The password is incorrect.", secondFactor);
        if (problem is not null)
        {
            return (null, problem);
        }

        return await InOwnRowAsync(accounts, checkedAccount, context);
    }

    /// <summary>The account moved to its own row (the previous release may have kept it at its email key) for the change; 409 when it is gone.</summary>
    private static async Task<(UserAccount? Account, ProblemHttpResult? Problem)> InOwnRowAsync(AccountService accounts, UserAccount? account, HttpContext context) =>
        account is not null && await accounts.EnsureCurrentAsync(account, context.RequestAborted) is { } current
            ? (current, null)
            : (null, Problems.Conflict("The account is gone."));
}
