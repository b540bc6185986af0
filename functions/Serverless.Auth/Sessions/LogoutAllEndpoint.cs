using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Serverless.Auth.Cookies;
using Serverless.Auth.Events;
using Serverless.Auth.Http;
using Serverless.Auth.Throttling;

namespace Serverless.Auth.Sessions;

/// <summary><c>POST /api/auth/logout-all</c>: sign out everywhere.</summary>
internal sealed class LogoutAllEndpoint(SessionService sessions, SessionCookies cookies, AuthEvents events)
{
    public static readonly EndpointDeclaration Declaration = EndpointDeclaration.For(
        new Operation
        {
            Summary = "Log out everywhere",
            Description = "Ends every session of the signed-in user, on every instance: all refresh tokens are deleted and every access token issued so far is revoked. Clears both cookies.",
            RateLimit = RateLimitedAction.Credentials,
            RequiresSession = true,
        },
        static (LogoutAllEndpoint endpoint, EndpointRequest<NoBody> request) => endpoint.HandleAsync(request));

    public async Task<Results<NoContent, ProblemHttpResult>> HandleAsync(EndpointRequest<NoBody> request)
    {
        var (context, subject) = (request.Context, request.Subject);

        await sessions.EndAllAsync(subject.UserId, context.RequestAborted);
        cookies.Clear(context.Response);
        await events.RaiseAsync(context, AuthEventKind.SignedOutEverywhere, subject.UserId, subject.SessionId);
        return TypedResults.NoContent();
    }
}
