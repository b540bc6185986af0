using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Serverless.Auth.Http;
using Serverless.Auth.Throttling;

namespace Serverless.Auth.Sessions;

/// <summary><c>GET /api/auth/sessions</c>: where the user is signed in.</summary>
internal sealed class SessionListEndpoint(RequestGate gate, Authenticator authenticator, SessionService sessions)
{
    public static readonly AuthEndpoint Declaration = Declare.Get(
        "Sessions", AuthRoutes.Sessions, "List my sessions",
        "The signed-in user's live sessions, newest first; current marks the one making the request. Rate-limited per client address "
        + "with the other session-management requests (its lastUsedAt is no free clock for a thief timing a refresh).",
        static (SessionListEndpoint endpoint, HttpContext context) => endpoint.HandleAsync(context),
        StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status429TooManyRequests, StatusCodes.Status503ServiceUnavailable);

    public async Task<Results<Ok<SessionInfo[]>, ProblemHttpResult>> HandleAsync(HttpContext context)
    {
        if (gate.Admit(context, RateLimitedAction.Login) is { } refused)
        {
            return refused;
        }

        if (await authenticator.AuthenticateAsync(context) is not { } subject)
        {
            return Authenticator.NotAuthenticated(context.Response);
        }

        var list = await sessions.ListAsync(subject.UserId, context.RequestAborted);
        return TypedResults.Ok(list
            .Select(s => new SessionInfo(s.SessionId, s.CreatedAt, s.LastUsedAt, sessions.ExpiryOf(s), s.UserAgent, s.SessionId == subject.SessionId))
            .ToArray());
    }
}
