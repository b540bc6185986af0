using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Serverless.Auth.Cookies;
using Serverless.Auth.Events;
using Serverless.Auth.Http;
using Serverless.Auth.Sessions;
using Serverless.Auth.Throttling;

namespace Serverless.Auth.Email;

/// <summary><c>POST /api/auth/email/confirm</c>: the token from the confirmation link; the frontend posts it.</summary>
internal sealed class EmailConfirmEndpoint(MailLinks links, SessionService sessions, SessionCookies cookies, DeviceCookies devices, AuthEvents events)
{
    public static readonly EndpointDeclaration Declaration = EndpointDeclaration.For(
        new Operation
        {
            Summary = "Confirm the email address",
            Description = "Confirms the address with the token from the confirmation link (single use). When the request carries the refresh cookie of "
                + "a live session of the same user, that session is refreshed (both cookies rotated), so verify shows emailConfirmed at once; "
                + "other sessions show it from their next refresh. An access token alone (bearer or cookie) never gets cookies. "
                + "One generic 400 for an unknown, expired or used token. 409 code email_taken when the address (one a social sign-in provider gave "
                + "without vouching for it) belongs to another account by now: the account keeps signing in with its provider.",
            RateLimit = RateLimitedAction.Email,
            Answers = [StatusCodes.Status409Conflict],
        },
        static (EmailConfirmEndpoint endpoint, EndpointRequest<EmailConfirmRequest> request) => endpoint.HandleAsync(request));

    public async Task<Results<Ok<EmailConfirmedResponse>, ProblemHttpResult>> HandleAsync(EndpointRequest<EmailConfirmRequest> request)
    {
        var (context, body) = (request.Context, request.Body);

        var cancellationToken = context.RequestAborted;
        if (await links.ConfirmAsync(body.Token!, cancellationToken) is not (var account, var created) confirmation)
        {
            return Problems.InvalidMailToken();
        }

        if (confirmation.Taken)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status409Conflict, title: "The email address is another account's.",
                detail: "Another account has this address by now. This account keeps signing in with its provider; change its address to another one.",
                extensions: new Dictionary<string, object?> { ["code"] = "email_taken" });
        }

        await SessionRenewal.RenewIfSignedInAsync(context, sessions, cookies, devices, account.UserId);
        await events.RaiseAsync(context, created ? AuthEventKind.SignedUp : AuthEventKind.EmailConfirmed, account.UserId, null);
        return TypedResults.Ok(new EmailConfirmedResponse(account.UserId, account.Email, EmailConfirmed: true));
    }
}
