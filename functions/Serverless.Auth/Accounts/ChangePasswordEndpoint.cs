using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Serverless.Auth.Cookies;
using Serverless.Auth.Http;
using Serverless.Auth.Sessions;
using Serverless.Auth.Throttling;
using Serverless.Auth.Tokens;

namespace Serverless.Auth.Accounts;

/// <summary><c>POST /api/auth/password</c>: change the password; every other session ends.</summary>
internal sealed class ChangePasswordEndpoint(
    RequestGate gate,
    Authenticator authenticator,
    AccountService accounts,
    SessionService sessions,
    RevocationList revocations,
    SessionCookies cookies)
{
    public static readonly AuthEndpoint Declaration = Declare.Post(
        "ChangePassword", AuthRoutes.ChangePassword, "Change my password",
        "Checks the current password (a wrong one counts toward the per-account backoff), sets the new one, ends every other session "
        + "and answers with fresh cookies for this one.",
        static (ChangePasswordEndpoint endpoint, HttpContext context) => endpoint.HandleAsync(context),
        typeof(PasswordChangeRequest),
        StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status409Conflict,
        StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status429TooManyRequests, StatusCodes.Status503ServiceUnavailable);

    public async Task<Results<Ok<SessionResponse>, ProblemHttpResult>> HandleAsync(HttpContext context)
    {
        var (request, problem) = await gate.ReadAsync(context, RateLimitedAction.Login, AuthJsonContext.Default.PasswordChangeRequest);
        if ((problem ?? RequestGate.Required(("currentPassword", "Current password", request!.CurrentPassword), ("newPassword", "New password", request.NewPassword))) is { } refused)
        {
            return refused;
        }

        if (await authenticator.AuthenticateAsync(context) is not { } subject)
        {
            return Authenticator.NotAuthenticated(context.Response);
        }

        var cancellationToken = context.RequestAborted;
        var (account, wrong) = await PasswordConfirmation.CheckAsync(accounts, context, subject.Email, request!.CurrentPassword!, "currentPassword", "The current password is incorrect.");
        if (wrong is not null)
        {
            return wrong;
        }

        switch (await accounts.ChangePasswordAsync(account!, request.NewPassword!, cancellationToken))
        {
            case PasswordChangeResult.Invalid(var errors):
                return TypedResults.Problem(Problems.ValidationDetails(errors));
            case PasswordChangeResult.Conflict:
                return Problems.Conflict("The account changed while the password was being changed. Try again.");
        }

        // Every other session ends; this one goes on with new tokens (the presented access token is retired too).
        await sessions.EndOthersAsync(subject.UserId, subject.SessionId, cancellationToken);
        await revocations.RevokeAsync(subject, cancellationToken);
        var issued = await sessions.ReissueAsync(subject.UserId, subject.SessionId, cancellationToken)
            ?? await sessions.StartAsync(subject.UserId, subject.Email, account!.EmailConfirmed, remember: true, context.Request.Headers.UserAgent, cancellationToken);
        cookies.Append(context.Response, issued, sessions.ExpiryOf(issued.Session));
        return TypedResults.Ok(SessionResponse.For(issued.Access.Subject));
    }
}
