using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Serverless.Auth.Cookies;
using Serverless.Auth.Http;
using Serverless.Auth.Sessions;
using Serverless.Auth.Throttling;

namespace Serverless.Auth.Email;

/// <summary><c>POST /api/auth/email/confirm</c>: the token from the confirmation link; the frontend posts it.</summary>
internal sealed class EmailConfirmEndpoint(RequestGate gate, MailLinks links, SessionService sessions, SessionCookies cookies, DeviceCookies devices)
{
    public static readonly AuthEndpoint Declaration = Declare.Post(
        "EmailConfirm", AuthRoutes.EmailConfirm, "Confirm the email address",
        "Confirms the address with the token from the confirmation link (single use). When the request carries the refresh cookie of "
        + "a live session of the same user, that session is refreshed (both cookies rotated), so verify shows emailConfirmed at once; "
        + "other sessions show it from their next refresh. An access token alone (bearer or cookie) never gets cookies. "
        + "One generic 400 for an unknown, expired or used token.",
        static (EmailConfirmEndpoint endpoint, HttpContext context) => endpoint.HandleAsync(context),
        typeof(EmailConfirmRequest),
        StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status413PayloadTooLarge,
        StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status429TooManyRequests, StatusCodes.Status503ServiceUnavailable);

    public async Task<Results<Ok<EmailConfirmedResponse>, ProblemHttpResult>> HandleAsync(HttpContext context)
    {
        var (request, problem) = await gate.ReadAsync(context, RateLimitedAction.Email, AuthJsonContext.Default.EmailConfirmRequest);
        if ((problem ?? RequestGate.Required(("token", "Token", request!.Token))) is { } refused)
        {
            return refused;
        }

        var cancellationToken = context.RequestAborted;
        if (await links.ConfirmAsync(request!.Token!, cancellationToken) is not { } account)
        {
            return Problems.InvalidMailToken();
        }

        // Only the refresh cookie may renew the session, exactly as refresh does: an access token (short-lived, also
        // handed to other APIs as a bearer) must never be traded for a new long-lived refresh token here. Refresh
        // also refuses values of several users (a planted cookie), so the session renewed is this user's.
        var presented = cookies.Refresh.ReadAll(context.Request);
        if (presented.Any(value => RefreshToken.TryParse(value, out var token) && token.UserId == account.UserId)
            && await sessions.RefreshAsync(presented, devices.PresentedIds(context.Request), cancellationToken) is { } issued)
        {
            cookies.Append(context.Response, issued, sessions.ExpiryOf(issued.Session));
        }

        return TypedResults.Ok(new EmailConfirmedResponse(account.UserId, account.Email, EmailConfirmed: true));
    }
}
