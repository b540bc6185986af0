using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Serverless.Auth.Cookies;
using Serverless.Auth.Http;
using Serverless.Auth.Sessions;
using Serverless.Auth.Throttling;

namespace Serverless.Auth.Accounts;

/// <summary><c>POST /api/auth/signup</c>: create an account and start a session.</summary>
internal sealed class SignupEndpoint(RequestGate gate, AccountService accounts, SessionService sessions, SessionCookies cookies, DeviceCookies devices)
{
    public static readonly AuthEndpoint Declaration = Declare.Post(
        "Signup", AuthRoutes.Signup, "Sign up",
        "Creates an account and starts a session: sets the HttpOnly access and refresh cookies. The password must meet the policy (errors.password says why not).",
        static (SignupEndpoint endpoint, HttpContext context) => endpoint.HandleAsync(context),
        typeof(CredentialsRequest),
        StatusCodes.Status403Forbidden, StatusCodes.Status409Conflict, StatusCodes.Status413PayloadTooLarge,
        StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status429TooManyRequests, StatusCodes.Status503ServiceUnavailable);

    public async Task<Results<Created<SignupResponse>, ValidationProblem, ProblemHttpResult>> HandleAsync(HttpContext context)
    {
        var (credentials, problem) = await gate.ReadAsync(context, RateLimitedAction.Signup, AuthJsonContext.Default.CredentialsRequest);
        if ((problem ?? RequestGate.Required(("email", "Email", credentials!.Email?.Trim()), ("password", "Password", credentials.Password))) is { } refused)
        {
            return refused;
        }

        var result = await accounts.SignupAsync(credentials!.Email!, credentials.Password!, context.RequestAborted);
        switch (result)
        {
            case SignupResult.SignedUp(var userId, var email):
                var issued = await sessions.StartAsync(userId, email, credentials.Remember ?? true, context.Request.Headers.UserAgent, context.RequestAborted);
                cookies.Append(context.Response, issued, sessions.ExpiryOf(issued.Session));
                devices.Issue(context.Response, EmailAddress.StorageKey(email));
                return TypedResults.Created((string?)null, new SignupResponse(userId, email));
            case SignupResult.Invalid(var errors):
                return Problems.Validation(errors);
            default:
                return Problems.EmailTaken();
        }
    }
}
