using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Serverless.Auth.Cookies;
using Serverless.Auth.Http;
using Serverless.Auth.Throttling;
using Serverless.Auth.Tokens;

namespace Serverless.Auth.Accounts;

/// <summary><c>POST /api/auth/signup</c>: create an account and sign in.</summary>
internal sealed class SignupEndpoint(CredentialsReader reader, AccountService accounts, AccessTokens tokens, AuthCookie cookie)
{
    public static readonly AuthEndpoint Declaration = Declare.Post(
        "Signup", AuthRoutes.Signup, "Sign up",
        "Creates an account and signs in: sets the HttpOnly auth cookie. The password must meet the policy (errors.password says why not).",
        static (SignupEndpoint endpoint, HttpContext context) => endpoint.HandleAsync(context),
        typeof(CredentialsRequest),
        StatusCodes.Status403Forbidden, StatusCodes.Status409Conflict, StatusCodes.Status413PayloadTooLarge,
        StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status429TooManyRequests, StatusCodes.Status503ServiceUnavailable);

    public async Task<Results<Created<SignupResponse>, ValidationProblem, ProblemHttpResult>> HandleAsync(HttpContext context)
    {
        var (credentials, problem) = await reader.ReadAsync(context, RateLimitedAction.Signup);
        if (problem is not null)
        {
            return problem;
        }

        var result = await accounts.SignupAsync(credentials!.Email!, credentials.Password!, context.RequestAborted);
        switch (result)
        {
            case SignupResult.SignedUp(var issued):
                cookie.Append(context.Response, issued.Value, tokens.Lifetime);
                return TypedResults.Created((string?)null, new SignupResponse(issued.Subject.UserId, issued.Subject.Email));
            case SignupResult.Invalid(var errors):
                return Problems.Validation(errors);
            default:
                return Problems.EmailTaken();
        }
    }
}
