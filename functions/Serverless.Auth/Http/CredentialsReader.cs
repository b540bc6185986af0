using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Serverless.Auth.Throttling;

namespace Serverless.Auth.Http;

/// <summary>The checks signup and login share, cheapest first: origin, rate limit, the body, the required fields.</summary>
internal sealed class CredentialsReader(CrossSiteGuard crossSite, ClientRateLimiter rateLimiter)
{
    public async Task<(CredentialsRequest? Value, ProblemHttpResult? Problem)> ReadAsync(HttpContext context, RateLimitedAction action)
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

        var (credentials, problem) = await JsonBody.ReadAsync(context.Request, AuthJsonContext.Default.CredentialsRequest);
        if (problem is not null)
        {
            return (null, problem);
        }

        return MissingFields(credentials!) is { } missing ? (null, missing) : (credentials, null);
    }

    private static ProblemHttpResult? MissingFields(CredentialsRequest credentials)
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

        // A validation problem (errors per field), typed as the other problems so callers get one answer.
        return errors.Count > 0 ? TypedResults.Problem(Problems.ValidationDetails(errors)) : null;
    }
}
