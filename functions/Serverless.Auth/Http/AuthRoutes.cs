namespace Serverless.Auth.Http;

/// <summary>
/// The route prefix and the refresh cookie's path. Each endpoint's own route is in the route table
/// (<see cref="AuthApi"/>; <c>AuthApi.Login.Path</c> is the full path the browser calls).
/// </summary>
public static class AuthRoutes
{
    /// <summary>host.json's route prefix: Functions routes are relative to it; the standalone host maps the full paths.</summary>
    public const string Prefix = "api";

    /// <summary>The refresh cookie's path: sent to the auth routes only.</summary>
    public const string AuthPath = "/" + Prefix + "/auth";
}
