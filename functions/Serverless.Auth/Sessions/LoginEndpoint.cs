using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Serverless.Auth.Accounts;
using Serverless.Auth.Cookies;
using Serverless.Auth.Http;
using Serverless.Auth.Throttling;
using Serverless.Auth.Tokens;

namespace Serverless.Auth.Sessions;

/// <summary><c>POST /api/auth/login</c>: check the password and sign in.</summary>
internal sealed class LoginEndpoint(CredentialsReader reader, AccountService accounts, AccessTokens tokens, AuthCookie cookie)
{
    public static readonly AuthEndpoint Declaration = Declare.Post(
        "Login", AuthRoutes.Login, "Log in",
        "Checks email and password and signs in: sets the HttpOnly auth cookie. One generic 401 for an unknown email and a wrong password; 429 + Retry-After during the per-account backoff.",
        static (LoginEndpoint endpoint, HttpContext context) => endpoint.HandleAsync(context),
        typeof(CredentialsRequest),
        StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status413PayloadTooLarge,
        StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status429TooManyRequests, StatusCodes.Status503ServiceUnavailable);

    public async Task<Results<Ok<SessionResponse>, ProblemHttpResult>> HandleAsync(HttpContext context)
    {
        var (credentials, problem) = await reader.ReadAsync(context, RateLimitedAction.Login);
        if (problem is not null)
        {
            return problem;
        }

        var result = await accounts.LoginAsync(credentials!.Email!, credentials.Password!, context.RequestAborted);
        switch (result)
        {
            case LoginResult.LoggedIn(var issued):
                cookie.Append(context.Response, issued.Value, tokens.Lifetime);
                return TypedResults.Ok(SessionResponse.For(issued.Subject));
            case LoginResult.Throttled(var retryAfter):
                return Problems.TooManyRequests(context.Response, retryAfter, "Too many failed logins for this account. Wait before trying again.");
            default:
                return Problems.LoginFailed();
        }
    }
}
