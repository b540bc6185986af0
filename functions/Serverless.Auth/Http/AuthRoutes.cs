namespace Serverless.Auth.Http;

/// <summary>
/// Where the auth routes live by default. Each endpoint's own route is in the route table (<see cref="AuthApi"/>),
/// relative to the auth base path; <c>AuthApi.Login.Path</c> is the full default path the browser calls.
/// </summary>
public static class AuthRoutes
{
    /// <summary>host.json's route prefix: Functions routes are relative to it.</summary>
    public const string Prefix = "api";

    /// <summary>
    /// The auth routes' base path: the Functions app's (fixed at compile time) and <see cref="AuthApi.MapAuthApi"/>'s
    /// default. The refresh and device cookies are sent to this path only.
    /// </summary>
    public const string DefaultBasePath = "/" + Prefix + "/auth";
}
