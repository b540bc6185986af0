using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Serverless.Auth.Sessions;
using Serverless.Auth.Throttling;

namespace Serverless.Auth.Http;

/// <summary>A request body that names its required fields: a missing one is a 400 listing every missing field.</summary>
internal interface IRequiredFields
{
    IEnumerable<(string Field, string Label, string? Value)> RequiredFields { get; }
}

/// <summary>
/// What an endpoint declares it needs before its own work (<see cref="Operation"/>), done in one place for
/// every endpoint and both hosts, cheapest first: the origin (CSRF), the per-client rate limit, an admin route's token,
/// the body (or, for a bodiless POST, its Content-Type), then the caller's session.
/// </summary>
internal sealed class EndpointChecks(OriginCheck origins, ClientRateLimiter rateLimiter, Authenticator authenticator, Admin.AdminTokens admins)
{
    /// <param name="bodyType">The JSON body to read, or null for an endpoint that reads none (<see cref="NoBody"/>).</param>
    public async Task<(EndpointRequest<TBody>? Request, ProblemHttpResult? Refused)> RunAsync<TBody>(
        HttpContext context, Operation operation, string method, JsonTypeInfo<TBody>? bodyType)
        where TBody : class
    {
        if (operation.ChecksOrigin && origins.Check(context.Request) is { } crossSite)
        {
            return (null, crossSite);
        }

        var wait = operation.RateLimit is { } action ? rateLimiter.TryAcquire(action, context) : TimeSpan.Zero;
        if (wait > TimeSpan.Zero)
        {
            return (null, Problems.TooManyRequests(context.Response, wait, "Too many requests from this address. Wait before trying again."));
        }

        // An admin route's caller first: someone without a token learns nothing of what the route accepts.
        Admin.AdminCaller? admin = null;
        if (operation.RequiresAdmin)
        {
            (admin, var refused) = await admins.AuthenticateAsync(context);
            if (refused is not null)
            {
                return (null, refused);
            }
        }

        TBody body;
        if (bodyType is null)
        {
            // HTML forms and text/plain always carry a Content-Type: cross-site "simple" requests are refused.
            if (method == HttpMethods.Post && !JsonBody.IsJsonOrAbsent(context.Request))
            {
                return (null, Problems.UnsupportedMediaType());
            }

            body = (TBody)(object)NoBody.Instance;
        }
        else
        {
            var (read, problem) = await JsonBody.ReadAsync(context.Request, bodyType);
            if ((problem ?? Missing(read!)) is { } refused)
            {
                return (null, refused);
            }

            body = read!;
        }

        Tokens.TokenSubject? caller = null;
        if (operation.RequiresSession && (caller = await authenticator.AuthenticateAsync(context)) is null)
        {
            return (null, Authenticator.NotAuthenticated(context.Response));
        }

        return (new EndpointRequest<TBody>(context, body, caller, admin), null);
    }

    /// <summary>A validation problem listing every missing (null or empty) field, or null when all are there.</summary>
    private static ProblemHttpResult? Missing(object body)
    {
        if (body is not IRequiredFields required)
        {
            return null;
        }

        var errors = required.RequiredFields.Where(f => string.IsNullOrEmpty(f.Value)).ToDictionary(f => f.Field, f => new[] { $"{f.Label} is required." });
        return errors.Count > 0 ? TypedResults.Problem(Problems.ValidationDetails(errors)) : null;
    }
}
