using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Serverless.Auth.Cookies;
using Serverless.Auth.Http;
using Serverless.Auth.Tokens;

namespace Serverless.Auth.Sessions;

/// <summary><c>POST /api/auth/logout</c>: revokes every valid token presented (cookie and bearer) and clears the cookie; 204 even without one.</summary>
internal sealed class LogoutEndpoint(AccessTokens tokens, RevocationList revocations, AuthCookie cookie, CrossSiteGuard crossSite)
{
    public static readonly AuthEndpoint Declaration = Declare.Post(
        "Logout", AuthRoutes.Logout, "Log out",
        "Revokes every valid token presented (cookie and bearer) on every instance and clears the auth cookie. 204 also without a token.",
        static (LogoutEndpoint endpoint, HttpContext context) => endpoint.HandleAsync(context),
        requestBody: null,
        StatusCodes.Status403Forbidden, StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status503ServiceUnavailable);

    public async Task<Results<NoContent, ProblemHttpResult>> HandleAsync(HttpContext context)
    {
        if (crossSite.Check(context.Request) is { } refused)
        {
            return refused;
        }

        if (!JsonBody.IsJsonOrAbsent(context.Request))
        {
            return Problems.UnsupportedMediaType();
        }

        var presented = new[] { BearerToken.Read(context.Request), cookie.Read(context.Request) };
        foreach (var token in presented.Where(t => t is not null).Distinct(StringComparer.Ordinal))
        {
            if (await tokens.ValidateAsync(token) is { } subject)
            {
                await revocations.RevokeAsync(subject, context.RequestAborted);
            }
        }

        cookie.Clear(context.Response);
        return TypedResults.NoContent();
    }
}
