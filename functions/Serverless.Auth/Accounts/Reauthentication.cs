using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Serverless.Auth.Http;
using Serverless.Auth.Throttling;
using Serverless.Auth.Tokens;

namespace Serverless.Auth.Accounts;

/// <summary>
/// The password a signed-in user re-enters before a sensitive change (password change, deletion, email change), for the
/// account of the token's subject:
/// checked under the backoff as a login is (the device's own, for a trusted device; else the account's), a
/// wrong one answered as a field error on the request's password field.
/// </summary>
internal static class Reauthentication
{
    public static async Task<(UserAccount? Account, ProblemHttpResult? Problem)> CheckAsync(
        AccountService accounts, DeviceCookies devices, HttpContext context, TokenSubject subject, string password, string field, string wrongMessage)
    {
        var check = await accounts.CheckPasswordAsync(
            subject.UserId, subject.Email, password, accountKey => devices.Presented(context.Request, accountKey), context.RequestAborted);
        return check switch
        {
            CredentialCheck.Matched(var account, _) => (account, null),
            CredentialCheck.Throttled(var wait) => (null, Problems.TooManyRequests(context.Response, wait, "Too many failed password checks for this account. Wait before trying again.")),
            _ => (null, TypedResults.Problem(Problems.ValidationDetails(new Dictionary<string, string[]> { [field] = [wrongMessage] }))),
        };
    }
}
