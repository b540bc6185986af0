using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Serverless.Auth.Protection;

namespace Serverless.Auth.Functions;

/// <summary>
/// The origin check that protects the auth routes, for every HTTP-triggered function: a POST, PUT, PATCH or DELETE
/// from a browser page on a foreign origin gets 403 problem+json and the function does not run (cookies with
/// <c>SameSite=None</c> would otherwise let any site send them). Safe methods, requests with no browser origin
/// (server-to-server calls, webhooks) and non-HTTP triggers pass. Register it with
/// <see cref="FunctionsAuthExtensions.UseAllowedOriginCheck"/>.
/// </summary>
public sealed class AllowedOriginMiddleware : IFunctionsWorkerMiddleware
{
    /// <inheritdoc />
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (context.GetHttpContext() is { } httpContext && SessionAuthentication.RefuseForeignOrigin(httpContext) is { } refused)
        {
            await refused.ExecuteAsync(httpContext);
            return;
        }

        await next(context);
    }
}
