using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Serverless.Auth.Cookies;
using Serverless.Auth.Http;
using Serverless.Auth.Throttling;

namespace Serverless.Auth.Sessions;

/// <summary><c>POST /api/auth/sessions/revoke</c>: sign one of my sessions out.</summary>
internal sealed class RevokeSessionEndpoint(RequestGate gate, Authenticator authenticator, SessionService sessions, SessionCookies cookies)
{
    public static readonly AuthEndpoint Declaration = Declare.Post(
        "RevokeSession", AuthRoutes.RevokeSession, "End one of my sessions",
        "Ends the given session of the signed-in user: its refresh and access tokens stop working on every instance. Ending the current one also clears the cookies. "
        + "404 for an id that is not one of the caller's live sessions.",
        static (RevokeSessionEndpoint endpoint, HttpContext context) => endpoint.HandleAsync(context),
        typeof(SessionRevokeRequest),
        StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound,
        StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status429TooManyRequests, StatusCodes.Status503ServiceUnavailable);

    public async Task<Results<NoContent, ProblemHttpResult>> HandleAsync(HttpContext context)
    {
        var (request, problem) = await gate.ReadAsync(context, RateLimitedAction.Login, AuthJsonContext.Default.SessionRevokeRequest);
        if ((problem ?? RequestGate.Required(("sessionId", "Session id", request!.SessionId))) is { } refused)
        {
            return refused;
        }

        if (await authenticator.AuthenticateAsync(context) is not { } subject)
        {
            return Authenticator.NotAuthenticated(context.Response);
        }

        // Only the caller's own partition is ever looked at: another user's id is simply not found.
        if (!RefreshToken.IsSessionId(request!.SessionId!) || !await sessions.EndOwnAsync(subject.UserId, request.SessionId!, context.RequestAborted))
        {
            return Problems.NotFound("No such session: it is not one of yours, or it has already ended.");
        }

        if (request.SessionId == subject.SessionId)
        {
            cookies.Clear(context.Response);
        }

        return TypedResults.NoContent();
    }
}
