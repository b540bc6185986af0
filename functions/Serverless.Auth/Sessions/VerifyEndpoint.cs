using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Serverless.Auth.Cookies;
using Serverless.Auth.Http;
using Serverless.Auth.Tokens;

namespace Serverless.Auth.Sessions;

/// <summary><c>GET /api/auth/verify</c>: who is signed in. Storage-free on the hot path (revocations are held in memory).</summary>
internal sealed class VerifyEndpoint(AccessTokens tokens, RevocationList revocations, AuthCookie cookie)
{
    public static readonly AuthEndpoint Declaration = Declare.Get(
        "Verify", AuthRoutes.Verify, "Who is signed in",
        "Validates the auth cookie, or an Authorization: Bearer token (which wins when both are sent), and answers who it speaks for.",
        static (VerifyEndpoint endpoint, HttpContext context) => endpoint.HandleAsync(context),
        StatusCodes.Status401Unauthorized, StatusCodes.Status503ServiceUnavailable);

    public async Task<Results<Ok<SessionResponse>, ProblemHttpResult>> HandleAsync(HttpContext context)
    {
        var (token, fromCookie) = PresentedToken(context.Request);
        var subject = await tokens.ValidateAsync(token);
        if (subject is null || await revocations.IsRevokedAsync(subject, context.RequestAborted))
        {
            if (fromCookie && token is not null)
            {
                // A dead cookie helps no one: tell the browser to drop it.
                cookie.Clear(context.Response);
            }

            context.Response.Headers.WWWAuthenticate = "Bearer";
            return Problems.NotAuthenticated();
        }

        return TypedResults.Ok(SessionResponse.For(subject));
    }

    /// <summary>
    /// An Authorization header, when present, is the credential (explicit beats ambient), even if a
    /// cookie is also sent; otherwise the cookie.
    /// </summary>
    private (string? Token, bool FromCookie) PresentedToken(HttpRequest request) =>
        request.Headers.Authorization.Count > 0 ? (BearerToken.Read(request) ?? "", false) : (cookie.Read(request), true);
}
