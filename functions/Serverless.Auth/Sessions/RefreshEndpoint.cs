using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Serverless.Auth.Cookies;
using Serverless.Auth.Http;
using Serverless.Auth.Throttling;

namespace Serverless.Auth.Sessions;

/// <summary><c>POST /api/auth/refresh</c>: trade the refresh cookie for a new access token and a rotated refresh token.</summary>
internal sealed class RefreshEndpoint(SessionService sessions, SessionCookies cookies, DeviceCookies devices, Events.AuthEvents events)
{
    public static readonly EndpointDeclaration Declaration = EndpointDeclaration.For(
        new Operation
        {
            Summary = "Refresh the session",
            Description = "Rotates the refresh cookie and issues a fresh access cookie. Tabs of the browser the session belongs to (its device cookie) racing with the same "
                + "token within the grace window share one successor; the just-retired token without that device cookie, or a retired token presented later, "
                + "ends the whole session (reuse detection). 401 clears both cookies.",
            RateLimit = RateLimitedAction.Refresh,
            Answers = [StatusCodes.Status401Unauthorized],
        },
        static (RefreshEndpoint endpoint, EndpointRequest<NoBody> request) => endpoint.HandleAsync(request));

    public async Task<Results<Ok<SessionResponse>, ProblemHttpResult>> HandleAsync(EndpointRequest<NoBody> request)
    {
        var context = request.Context;

        if (await sessions.RefreshAsync(
                cookies.Refresh.ReadAll(context.Request), devices.PresentedIds(context.Request), context.RequestAborted,
                (userId, sessionId, how) => events.RaiseAsync(context, Events.AuthEventKind.RefreshReuseDetected, userId, sessionId, how)) is not { } issued)
        {
            cookies.Clear(context.Response);
            return Problems.NotAuthenticated();
        }

        cookies.Append(context.Response, issued, sessions.ExpiryOf(issued.Session));
        return TypedResults.Ok(SessionResponse.For(issued.Access.Subject));
    }
}
