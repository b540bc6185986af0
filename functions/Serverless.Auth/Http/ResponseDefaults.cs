using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Serverless.Auth.Storage;

namespace Serverless.Auth.Http;

/// <summary>
/// What every auth response shares, in one place for both hosts: headers, and overload or a storage
/// outage answered as 503 + Retry-After instead of an error page.
/// </summary>
public static partial class ResponseDefaults
{
    internal static async Task<IResult> RunAsync<TResult>(HttpContext context, Func<HttpContext, Task<TResult>> handle)
        where TResult : IResult
    {
        ApplyHeaders(context.Response);
        try
        {
            return await handle(context);
        }
        catch (ServiceBusyException e)
        {
            return Problems.Unavailable(context.Response, e.RetryAfter, e.Message);
        }
        catch (AccountDisabledException)
        {
            return Problems.AccountDisabled();
        }
        catch (Exception e) when (StorageFailure.IsUnavailable(e) && !context.RequestAborted.IsCancellationRequested)
        {
            LogStorageUnavailable(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ResponseDefaults)), StorageFailure.Describe(e));
            return Problems.Unavailable(context.Response, TimeSpan.FromSeconds(5), "Storage is not reachable right now. Try again shortly.");
        }
    }

    /// <summary>Marks a public document's response (a feature, not an Items entry: reading Items makes its dictionary on every request).</summary>
    private sealed class PublicDocument
    {
        public static readonly PublicDocument Marker = new();
    }

    /// <summary>
    /// Identity and tokens must never be cached by the browser or a proxy; no MIME sniffing of bodies.
    /// The one exception is a public document (the JWKS, the discovery document) marked by
    /// <see cref="AllowPublicCaching"/>: it keeps its own Cache-Control.
    /// </summary>
    public static void ApplyHeaders(HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (response.HttpContext.Features.Get<PublicDocument>() is null)
        {
            response.Headers.CacheControl = "no-store";
        }

        response.Headers.XContentTypeOptions = "nosniff";
    }

    /// <summary>
    /// A response that is the same for everyone and holds no secret (public keys, discovery): caches
    /// may keep it for <paramref name="maxAge"/>. Call it only on the success path, just before answering.
    /// </summary>
    internal static void AllowPublicCaching(HttpResponse response, TimeSpan maxAge)
    {
        response.HttpContext.Features.Set(PublicDocument.Marker);
        response.Headers.CacheControl = $"public, max-age={(int)maxAge.TotalSeconds}";
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storage unavailable ({ErrorType}); answered 503")]
    private static partial void LogStorageUnavailable(ILogger logger, string errorType);
}
