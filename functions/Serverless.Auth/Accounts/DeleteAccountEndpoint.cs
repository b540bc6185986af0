using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Serverless.Auth.Cookies;
using Serverless.Auth.Http;
using Serverless.Auth.Sessions;
using Serverless.Auth.Throttling;

namespace Serverless.Auth.Accounts;

/// <summary><c>POST /api/auth/account/delete</c>: delete my account, after checking my password.</summary>
internal sealed class DeleteAccountEndpoint(
    RequestGate gate, Authenticator authenticator, AccountService accounts, SessionService sessions, SessionCookies cookies, DeviceCookies devices)
{
    public static readonly AuthEndpoint Declaration = Declare.Post(
        "DeleteAccount", AuthRoutes.DeleteAccount, "Delete my account",
        "Checks the password (a wrong one counts toward the backoff: the device's own on a trusted device, else the account's), then deletes the account, its sessions and its backoff state: "
        + "every token stops working on every instance and the email can sign up again. Clears both cookies.",
        static (DeleteAccountEndpoint endpoint, HttpContext context) => endpoint.HandleAsync(context),
        typeof(AccountDeleteRequest),
        StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status409Conflict,
        StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status429TooManyRequests, StatusCodes.Status503ServiceUnavailable);

    public async Task<Results<NoContent, ProblemHttpResult>> HandleAsync(HttpContext context)
    {
        var (request, problem) = await gate.ReadAsync(context, RateLimitedAction.Login, AuthJsonContext.Default.AccountDeleteRequest);
        if ((problem ?? RequestGate.Required(("password", "Password", request!.Password))) is { } refused)
        {
            return refused;
        }

        if (await authenticator.AuthenticateAsync(context) is not { } subject)
        {
            return Authenticator.NotAuthenticated(context.Response);
        }

        var cancellationToken = context.RequestAborted;
        var (account, wrong) = await PasswordConfirmation.CheckAsync(accounts, devices, context, subject.Email, request!.Password!, "password", "The password is incorrect.");
        if (wrong is not null)
        {
            return wrong;
        }

        // Tokens die first, so a failure after this point leaves no usable session behind.
        await sessions.EndAllAsync(account!.UserId, cancellationToken);
        if (!await accounts.DeleteAsync(account, cancellationToken))
        {
            return Problems.Conflict("The account changed while it was being deleted. Try again.");
        }

        cookies.Clear(context.Response);
        return TypedResults.NoContent();
    }
}
