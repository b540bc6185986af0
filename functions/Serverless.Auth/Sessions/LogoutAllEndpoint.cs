using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Serverless.Auth.Cookies;
using Serverless.Auth.Http;
using Serverless.Auth.Throttling;

namespace Serverless.Auth.Sessions;

/// <summary><c>POST /api/auth/logout-all</c>: sign out everywhere.</summary>
internal sealed class LogoutAllEndpoint(RequestGate gate, Authenticator authenticator, SessionService sessions, SessionCookies cookies)
{
    public static readonly AuthEndpoint Declaration = Declare.Post(
        "LogoutAll", AuthRoutes.LogoutAll, "Log out everywhere",
        "Ends every session of the signed-in user, on every instance: all refresh tokens are deleted and every access token issued so far is revoked. Clears both cookies.",
        static (LogoutAllEndpoint endpoint, HttpContext context) => endpoint.HandleAsync(context),
        requestBody: null,
        StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status415UnsupportedMediaType,
        StatusCodes.Status429TooManyRequests, StatusCodes.Status503ServiceUnavailable);

    public async Task<Results<NoContent, ProblemHttpResult>> HandleAsync(HttpContext context)
    {
        if (gate.Admit(context, RateLimitedAction.Login, bodiless: true) is { } refused)
        {
            return refused;
        }

        if (await authenticator.AuthenticateAsync(context) is not { } subject)
        {
            return Authenticator.NotAuthenticated(context.Response);
        }

        await sessions.EndAllAsync(subject.UserId, context.RequestAborted);
        cookies.Clear(context.Response);
        return TypedResults.NoContent();
    }
}
