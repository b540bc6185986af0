using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using Serverless.Auth.Accounts;
using Serverless.Auth.Cookies;
using Serverless.Auth.Throttling;
using Serverless.Auth.Tokens;

namespace Serverless.Auth.Http;

/// <summary>The four endpoints: parse and validate, call the service, map the outcome to a typed result.</summary>
internal sealed class AuthHandlers(
    AccountService accounts,
    AccessTokens tokens,
    RevocationList revocations,
    AuthCookie cookie,
    CrossSiteGuard crossSite,
    ClientRateLimiter rateLimiter)
{
    public async Task<Results<Created<SignupResponse>, ValidationProblem, ProblemHttpResult>> SignupAsync(HttpContext context)
    {
        var (credentials, problem) = await ReadCredentialsAsync(context, RateLimitedAction.Signup);
        if (problem is not null)
        {
            return problem;
        }

        if (MissingFields(credentials!) is { } missing)
        {
            return missing;
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

    public async Task<Results<Ok<SessionResponse>, ValidationProblem, ProblemHttpResult>> LoginAsync(HttpContext context)
    {
        var (credentials, problem) = await ReadCredentialsAsync(context, RateLimitedAction.Login);
        if (problem is not null)
        {
            return problem;
        }

        if (MissingFields(credentials!) is { } missing)
        {
            return missing;
        }

        var result = await accounts.LoginAsync(credentials!.Email!, credentials.Password!, context.RequestAborted);
        switch (result)
        {
            case LoginResult.LoggedIn(var issued):
                cookie.Append(context.Response, issued.Value, tokens.Lifetime);
                return TypedResults.Ok(ToSession(issued.Subject));
            case LoginResult.Throttled(var retryAfter):
                return Problems.TooManyRequests(context.Response, retryAfter, "Too many failed logins for this account. Wait before trying again.");
            default:
                return Problems.LoginFailed();
        }
    }

    public async Task<Results<Ok<SessionResponse>, ProblemHttpResult>> VerifyAsync(HttpContext context)
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

        return TypedResults.Ok(ToSession(subject));
    }

    /// <summary>Revokes every valid token presented (cookie and bearer) and clears the cookie; 204 even without one.</summary>
    public async Task<Results<NoContent, ProblemHttpResult>> LogoutAsync(HttpContext context)
    {
        if (crossSite.Check(context.Request) is { } refused)
        {
            return refused;
        }

        if (!JsonBody.IsJsonOrAbsent(context.Request))
        {
            return Problems.UnsupportedMediaType();
        }

        var presented = new[] { BearerToken(context.Request), cookie.Read(context.Request) };
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

    /// <summary>
    /// An Authorization header, when present, is the credential (explicit beats ambient), even if a
    /// cookie is also sent; otherwise the cookie.
    /// </summary>
    private (string? Token, bool FromCookie) PresentedToken(HttpRequest request) =>
        request.Headers.Authorization.Count > 0 ? (BearerToken(request) ?? "", false) : (cookie.Read(request), true);

    private static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        return header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) && header.Length > scheme.Length
            ? header[scheme.Length..].Trim()
            : null;
    }

    /// <summary>The checks signup and login share, cheapest first: origin, rate limit, then the body.</summary>
    private async Task<(CredentialsRequest? Value, ProblemHttpResult? Problem)> ReadCredentialsAsync(HttpContext context, RateLimitedAction action)
    {
        if (crossSite.Check(context.Request) is { } refused)
        {
            return (null, refused);
        }

        var wait = rateLimiter.TryAcquire(action, context);
        if (wait > TimeSpan.Zero)
        {
            return (null, Problems.TooManyRequests(context.Response, wait, "Too many requests from this address. Wait before trying again."));
        }

        return await JsonBody.ReadAsync(context.Request, AuthJsonContext.Default.CredentialsRequest);
    }

    private static ValidationProblem? MissingFields(CredentialsRequest credentials)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(credentials.Email))
        {
            errors["email"] = ["Email is required."];
        }

        if (string.IsNullOrEmpty(credentials.Password))
        {
            errors["password"] = ["Password is required."];
        }

        return errors.Count > 0 ? Problems.Validation(errors) : null;
    }

    private static SessionResponse ToSession(TokenSubject subject) => new(subject.UserId, subject.Email, subject.ExpiresAt);
}
