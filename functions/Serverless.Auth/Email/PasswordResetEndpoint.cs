using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Serverless.Auth.Cookies;
using Serverless.Auth.Events;
using Serverless.Auth.Http;
using Serverless.Auth.Throttling;

namespace Serverless.Auth.Email;

/// <summary><c>POST /api/auth/password/reset</c>: the token from the reset link and a new password.</summary>
internal sealed class PasswordResetEndpoint(MailLinks links, SessionCookies cookies, AuthEvents events)
{
    public static readonly EndpointDeclaration Declaration = EndpointDeclaration.For(
        new Operation
        {
            Summary = "Reset the password",
            Description = "Sets a new password with the token from the newest reset link (single use), ends every session of the account "
                + "(sign-out everywhere), clears the per-account login backoff and the cookies. 400: one generic problem for an unknown, "
                + "expired, superseded or used token, or errors.newPassword from the password policy.",
            RateLimit = RateLimitedAction.Email,
        },
        static (PasswordResetEndpoint endpoint, EndpointRequest<PasswordResetRequest> request) => endpoint.HandleAsync(request));

    public async Task<Results<NoContent, ProblemHttpResult>> HandleAsync(EndpointRequest<PasswordResetRequest> request)
    {
        var (context, body) = (request.Context, request.Body);

        switch (await links.ResetPasswordAsync(body.Token!, body.NewPassword!, context.RequestAborted))
        {
            case PasswordResetResult.InvalidPassword(var errors):
                return TypedResults.Problem(Problems.ValidationDetails(errors));
            case PasswordResetResult.Reset(var account):
                // Every session ended, this browser's too: it signs in again with the new password.
                cookies.Clear(context.Response);
                await events.RaiseAsync(context, AuthEventKind.PasswordReset, account.UserId, null);
                return TypedResults.NoContent();
            default:
                return Problems.InvalidMailToken();
        }
    }
}
