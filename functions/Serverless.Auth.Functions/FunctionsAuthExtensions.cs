using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Hosting;

namespace Serverless.Auth.Functions;

/// <summary>
/// Worker middleware registrations for an Azure Functions app (ASP.NET Core integration:
/// <c>ConfigureFunctionsWebApplication()</c> first, so the request's <c>HttpContext</c> exists when they run).
/// </summary>
public static class FunctionsAuthExtensions
{
    /// <summary>
    /// Functions marked <c>[Authorize]</c> (on the method or its class; optionally with a policy such as
    /// <see cref="Protection.SessionAuthentication.ConfirmedEmailPolicy"/>) run only for a signed-in session;
    /// <c>[AllowAnonymous]</c> opts a method out. Needs <c>AddSessionAuthentication()</c> or <c>AddServerlessAuth()</c>.
    /// </summary>
    public static IFunctionsWorkerApplicationBuilder UseSessionAuthorization(this IFunctionsWorkerApplicationBuilder builder) =>
        builder.UseMiddleware<SessionAuthorizationMiddleware>();

    /// <summary>
    /// Every HTTP-triggered POST, PUT, PATCH and DELETE from a browser must come from this origin or an allowed one
    /// (<c>Auth__AllowedOrigins</c>), or gets 403 problem+json: the CSRF check of the auth routes, for the app's own functions.
    /// </summary>
    public static IFunctionsWorkerApplicationBuilder UseAllowedOriginCheck(this IFunctionsWorkerApplicationBuilder builder) =>
        builder.UseMiddleware<AllowedOriginMiddleware>();
}
