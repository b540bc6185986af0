using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Serverless.Auth.Throttling;

namespace Serverless.Auth.Http;

/// <summary>
/// The checks every state-changing endpoint makes before its own work, cheapest first: the origin
/// (CSRF), the per-client rate limit, then the body.
/// </summary>
internal sealed class RequestGate(CrossSiteGuard crossSite, ClientRateLimiter rateLimiter)
{
    /// <summary>Origin and rate limit (none for a null action); for bodiless endpoints also the Content-Type (none, or JSON).</summary>
    public ProblemHttpResult? Admit(HttpContext context, RateLimitedAction? action, bool bodiless = false)
    {
        if (crossSite.Check(context.Request) is { } refused)
        {
            return refused;
        }

        var wait = action is { } limited ? rateLimiter.TryAcquire(limited, context) : TimeSpan.Zero;
        if (wait > TimeSpan.Zero)
        {
            return Problems.TooManyRequests(context.Response, wait, "Too many requests from this address. Wait before trying again.");
        }

        // HTML forms and text/plain always carry a Content-Type: cross-site "simple" requests are refused.
        return bodiless && !JsonBody.IsJsonOrAbsent(context.Request) ? Problems.UnsupportedMediaType() : null;
    }

    /// <summary>Admit, then read the JSON body.</summary>
    public async Task<(T? Value, ProblemHttpResult? Problem)> ReadAsync<T>(HttpContext context, RateLimitedAction action, JsonTypeInfo<T> typeInfo)
        where T : class =>
        Admit(context, action) is { } refused ? (null, refused) : await JsonBody.ReadAsync(context.Request, typeInfo);

    /// <summary>A validation problem listing every missing (null or empty) field, or null when all are there.</summary>
    public static ProblemHttpResult? Required(params (string Field, string Label, string? Value)[] fields)
    {
        var errors = fields.Where(f => string.IsNullOrEmpty(f.Value)).ToDictionary(f => f.Field, f => new[] { $"{f.Label} is required." });
        return errors.Count > 0 ? TypedResults.Problem(Problems.ValidationDetails(errors)) : null;
    }
}
