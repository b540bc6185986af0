using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Serverless.Auth.Cookies;
using Serverless.Auth.Http;
using Serverless.Auth.Throttling;

namespace Serverless.Auth.Email;

/// <summary><c>POST /api/auth/password/reset</c>: the token from the reset link and a new password.</summary>
internal sealed class PasswordResetEndpoint(RequestGate gate, MailLinks links, SessionCookies cookies)
{
    public static readonly AuthEndpoint Declaration = Declare.Post(
        "PasswordReset", AuthRoutes.PasswordReset, "Reset the password",
        "Sets a new password with the token from the newest reset link (single use), ends every session of the account "
        + "(sign-out everywhere), clears the per-account login backoff and the cookies. 400: one generic problem for an unknown, "
        + "expired, superseded or used token, or errors.newPassword from the password policy.",
        static (PasswordResetEndpoint endpoint, HttpContext context) => endpoint.HandleAsync(context),
        typeof(PasswordResetRequest),
        StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status413PayloadTooLarge,
        StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status429TooManyRequests, StatusCodes.Status503ServiceUnavailable);

    public async Task<Results<NoContent, ProblemHttpResult>> HandleAsync(HttpContext context)
    {
        var (request, problem) = await gate.ReadAsync(context, RateLimitedAction.Email, AuthJsonContext.Default.PasswordResetRequest);
        if ((problem ?? RequestGate.Required(("token", "Token", request!.Token), ("newPassword", "New password", request.NewPassword))) is { } refused)
        {
            return refused;
        }

        switch (await links.ResetPasswordAsync(request!.Token!, request.NewPassword!, context.RequestAborted))
        {
            case PasswordResetResult.InvalidPassword(var errors):
                return TypedResults.Problem(Problems.ValidationDetails(errors));
            case PasswordResetResult.InvalidToken:
                return Problems.InvalidMailToken();
        }

        // Every session ended, this browser's too: it signs in again with the new password.
        cookies.Clear(context.Response);
        return TypedResults.NoContent();
    }
}
