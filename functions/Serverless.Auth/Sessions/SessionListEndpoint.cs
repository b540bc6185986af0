using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Serverless.Auth.Http;
using Serverless.Auth.Throttling;

namespace Serverless.Auth.Sessions;

/// <summary><c>GET /api/auth/sessions</c>: where the user is signed in.</summary>
internal sealed class SessionListEndpoint(SessionService sessions)
{
    public static readonly EndpointDeclaration Declaration = EndpointDeclaration.For(
        new Operation
        {
            Summary = "List my sessions",
            Description = "The signed-in user's live sessions, newest first; current marks the one making the request. Rate-limited per client address "
                + "with the other session-management requests (its lastUsedAt is no free clock for a thief timing a refresh).",
            RateLimit = RateLimitedAction.Credentials,
            RequiresSession = true,
        },
        static (SessionListEndpoint endpoint, EndpointRequest<NoBody> request) => endpoint.HandleAsync(request));

    public async Task<Results<Ok<SessionInfo[]>, ProblemHttpResult>> HandleAsync(EndpointRequest<NoBody> request)
    {
        var (context, subject) = (request.Context, request.Subject);

        var list = await sessions.ListAsync(subject.UserId, context.RequestAborted);
        return TypedResults.Ok(list
            .Select(s => new SessionInfo(s.SessionId, s.CreatedAt, s.LastUsedAt, sessions.ExpiryOf(s), s.UserAgent, s.SessionId == subject.SessionId))
            .ToArray());
    }
}
