using Microsoft.AspNetCore.Http;
using Serverless.Auth.Cookies;
using Serverless.Auth.Http;
using Serverless.Auth.Tokens;

namespace Serverless.Auth.Sessions;

/// <summary>Who the request speaks for, from its access token: the Authorization header, else the access cookie.</summary>
internal sealed class Authenticator(AccessTokens tokens, RevocationList revocations, SessionCookies cookies)
{
    /// <summary>Null when no valid, unrevoked access token is presented.</summary>
    public async Task<TokenSubject?> AuthenticateAsync(HttpContext context)
    {
        var subject = await tokens.ValidateAsync(PresentedToken(context.Request).Token);
        return subject is null || await revocations.IsRevokedAsync(subject, context.RequestAborted) ? null : subject;
    }

    /// <summary>
    /// An Authorization header, when present, is the credential (explicit beats ambient), even if a
    /// cookie is also sent; otherwise the cookie.
    /// </summary>
    public (string? Token, bool FromCookie) PresentedToken(HttpRequest request) =>
        request.Headers.Authorization.Count > 0 ? (BearerToken.Read(request) ?? "", false) : (cookies.Access.Read(request), true);

    /// <summary>The 401 for endpoints that need a session, with the Bearer challenge.</summary>
    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult NotAuthenticated(HttpResponse response)
    {
        response.Headers.WWWAuthenticate = "Bearer";
        return Problems.NotAuthenticated();
    }
}
