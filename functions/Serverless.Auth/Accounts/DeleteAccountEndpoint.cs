using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Serverless.Auth.Cookies;
using Serverless.Auth.Events;
using Serverless.Auth.Http;
using Serverless.Auth.Sessions;
using Serverless.Auth.Throttling;

namespace Serverless.Auth.Accounts;

/// <summary><c>POST /api/auth/account/delete</c>: delete my account, after checking my password.</summary>
internal sealed class DeleteAccountEndpoint(AccountService accounts, SessionService sessions, SessionCookies cookies, DeviceCookies devices, AuthEvents events)
{
    public static readonly EndpointDeclaration Declaration = EndpointDeclaration.For(
        new Operation
        {
            Summary = "Delete my account",
            Description = "Checks the password (a wrong one counts toward the backoff: the device's own on a trusted device, else the account's), then deletes the account, its sessions and its backoff state: "
                + "every token stops working on every instance and the email can sign up again. Clears both cookies.",
            RateLimit = RateLimitedAction.Credentials,
            RequiresSession = true,
            Answers = [StatusCodes.Status409Conflict],
        },
        static (DeleteAccountEndpoint endpoint, EndpointRequest<AccountDeleteRequest> request) => endpoint.HandleAsync(request));

    public async Task<Results<NoContent, ProblemHttpResult>> HandleAsync(EndpointRequest<AccountDeleteRequest> request)
    {
        var (context, body, subject) = (request.Context, request.Body, request.Subject);

        var cancellationToken = context.RequestAborted;
        var (account, wrong, _) = await Reauthentication.CheckAsync(accounts, devices, context, subject, body.Password!, "password", "The password is incorrect.", body);
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
        await events.RaiseAsync(context, AuthEventKind.AccountDeleted, account.UserId, subject.SessionId);
        return TypedResults.NoContent();
    }
}
