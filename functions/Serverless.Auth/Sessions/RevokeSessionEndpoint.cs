using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Serverless.Auth.Cookies;
using Serverless.Auth.Events;
using Serverless.Auth.Http;
using Serverless.Auth.Throttling;

namespace Serverless.Auth.Sessions;

/// <summary><c>POST /api/auth/sessions/revoke</c>: sign one of my sessions out.</summary>
internal sealed class RevokeSessionEndpoint(SessionService sessions, SessionCookies cookies, AuthEvents events)
{
    public static readonly EndpointDeclaration Declaration = EndpointDeclaration.For(
        new Operation
        {
            Summary = "End one of my sessions",
            Description = "Ends the given session of the signed-in user: its refresh and access tokens stop working on every instance. Ending the current one also clears the cookies. "
                + "404 for an id that is not one of the caller's live sessions.",
            RateLimit = RateLimitedAction.Credentials,
            RequiresSession = true,
            Answers = [StatusCodes.Status404NotFound],
        },
        static (RevokeSessionEndpoint endpoint, EndpointRequest<SessionRevokeRequest> request) => endpoint.HandleAsync(request));

    public async Task<Results<NoContent, ProblemHttpResult>> HandleAsync(EndpointRequest<SessionRevokeRequest> request)
    {
        var (context, body, subject) = (request.Context, request.Body, request.Subject);

        // Only the caller's own partition is ever looked at: another user's id is simply not found.
        if (!RefreshToken.IsSessionId(body.SessionId!) || !await sessions.EndOwnAsync(subject.UserId, body.SessionId!, context.RequestAborted))
        {
            return Problems.NotFound("No such session: it is not one of yours, or it has already ended.");
        }

        if (body.SessionId == subject.SessionId)
        {
            cookies.Clear(context.Response);
        }

        await events.RaiseAsync(context, AuthEventKind.SessionRevoked, subject.UserId, body.SessionId);
        return TypedResults.NoContent();
    }
}
