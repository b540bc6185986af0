using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Serverless.Auth.Storage;

namespace Serverless.Auth.Http;

/// <summary>
/// The entry points both hosts call: Azure Functions (one function class each) and the standalone
/// Kestrel host (<see cref="MapServerlessAuth"/>). Headers every auth response carries and the
/// mapping of overload / storage outages to 503 live here, once.
/// </summary>
public static partial class AuthEndpoints
{
    public static Task<IResult> SignupAsync(HttpContext context) => RunAsync(context, static (h, c) => h.SignupAsync(c));

    public static Task<IResult> LoginAsync(HttpContext context) => RunAsync(context, static (h, c) => h.LoginAsync(c));

    public static Task<IResult> VerifyAsync(HttpContext context) => RunAsync(context, static (h, c) => h.VerifyAsync(c));

    public static Task<IResult> LogoutAsync(HttpContext context) => RunAsync(context, static (h, c) => h.LogoutAsync(c));

    /// <summary>Maps the four routes on a plain ASP.NET Core app (the standalone host).</summary>
    public static IEndpointRouteBuilder MapServerlessAuth(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapPost(AuthRoutes.SignupPath, (Func<HttpContext, Task<IResult>>)SignupAsync);
        endpoints.MapPost(AuthRoutes.LoginPath, (Func<HttpContext, Task<IResult>>)LoginAsync);
        endpoints.MapGet(AuthRoutes.VerifyPath, (Func<HttpContext, Task<IResult>>)VerifyAsync);
        endpoints.MapPost(AuthRoutes.LogoutPath, (Func<HttpContext, Task<IResult>>)LogoutAsync);
        return endpoints;
    }

    private static async Task<IResult> RunAsync<TResult>(HttpContext context, Func<AuthHandlers, HttpContext, Task<TResult>> handle)
        where TResult : IResult
    {
        ArgumentNullException.ThrowIfNull(context);
        // Identity and tokens must never be cached by the browser or a proxy; no MIME sniffing of bodies.
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.XContentTypeOptions = "nosniff";

        var services = context.RequestServices;
        try
        {
            return await handle(services.GetRequiredService<AuthHandlers>(), context);
        }
        catch (ServiceBusyException e)
        {
            return Problems.Unavailable(context.Response, e.RetryAfter, e.Message);
        }
        catch (Exception e) when (StorageFailure.IsUnavailable(e) && !context.RequestAborted.IsCancellationRequested)
        {
            LogStorageUnavailable(services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AuthEndpoints)), e.GetType().Name);
            return Problems.Unavailable(context.Response, TimeSpan.FromSeconds(5), "Storage is not reachable right now. Try again shortly.");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storage unavailable ({ErrorType}); answered 503")]
    private static partial void LogStorageUnavailable(ILogger logger, string errorType);
}
