using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Serverless.Auth.Cookies;
using Serverless.Auth.Events;
using Serverless.Auth.Http;
using Serverless.Auth.Tokens;

namespace Serverless.Auth.Sessions;

/// <summary>
/// <c>POST /api/auth/logout</c>: ends the session of every valid credential presented (refresh
/// cookie, access cookie, bearer) and clears both cookies; 204 even without one.
/// </summary>
internal sealed class LogoutEndpoint(AccessTokens tokens, SessionService sessions, SessionCookies cookies, AuthEvents events)
{
    public static readonly EndpointDeclaration Declaration = EndpointDeclaration.For(
        new Operation
        {
            Summary = "Log out",
            Description = "Ends this session on every instance: its refresh token is deleted and its access tokens (cookie and bearer) revoked; both cookies are cleared. 204 also without a session.",
        },
        static (LogoutEndpoint endpoint, EndpointRequest<NoBody> request) => endpoint.HandleAsync(request));

    public async Task<Results<NoContent, ProblemHttpResult>> HandleAsync(EndpointRequest<NoBody> request)
    {
        var context = request.Context;

        var cancellationToken = context.RequestAborted;
        // Ending a session revokes every access token of it (verify checks the token's sid), so no token
        // needs its own revocation here; and the refresh and access cookie usually name the same session: end it once.
        var ended = new HashSet<string>(StringComparer.Ordinal);
        foreach (var refresh in cookies.Refresh.ReadAll(context.Request))
        {
            if (await sessions.FindCurrentAsync(refresh, cancellationToken) is { } session && ended.Add(session.SessionId))
            {
                await sessions.EndAsync(session.UserId, session.SessionId, cancellationToken);
                await events.RaiseAsync(context, AuthEventKind.SignedOut, session.UserId, session.SessionId);
            }
        }

        var presented = cookies.Access.ReadAll(context.Request).Prepend(BearerToken.Read(context.Request));
        foreach (var token in presented.Where(t => t is not null).Distinct(StringComparer.Ordinal))
        {
            if (await tokens.ValidateAsync(token) is { } subject && ended.Add(subject.SessionId))
            {
                await sessions.EndAsync(subject.UserId, subject.SessionId, cancellationToken);
                await events.RaiseAsync(context, AuthEventKind.SignedOut, subject.UserId, subject.SessionId);
            }
        }

        cookies.Clear(context.Response);
        return TypedResults.NoContent();
    }
}
