using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Serverless.Auth.Storage;

namespace Serverless.Auth.Http;

/// <summary>
/// What every auth response shares, in one place for both hosts: headers, and overload or a storage
/// outage answered as 503 + Retry-After instead of an error page.
/// </summary>
public static partial class ResponseGuard
{
    internal static async ValueTask<object?> RunAsync(HttpContext context, Func<ValueTask<object?>> handle)
    {
        ApplyHeaders(context.Response);
        try
        {
            return await handle();
        }
        catch (ServiceBusyException e)
        {
            return Problems.Unavailable(context.Response, e.RetryAfter, e.Message);
        }
        catch (Exception e) when (StorageFailure.IsUnavailable(e) && !context.RequestAborted.IsCancellationRequested)
        {
            LogStorageUnavailable(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ResponseGuard)), e.GetType().Name);
            return Problems.Unavailable(context.Response, TimeSpan.FromSeconds(5), "Storage is not reachable right now. Try again shortly.");
        }
    }

    /// <summary>Identity and tokens must never be cached by the browser or a proxy; no MIME sniffing of bodies.</summary>
    public static void ApplyHeaders(HttpResponse response)
    {
        response.Headers.CacheControl = "no-store";
        response.Headers.XContentTypeOptions = "nosniff";
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storage unavailable ({ErrorType}); answered 503")]
    private static partial void LogStorageUnavailable(ILogger logger, string errorType);
}
