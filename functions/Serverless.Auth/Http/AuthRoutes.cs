namespace Serverless.Auth.Http;

/// <summary>
/// The one place route strings live. Functions routes are relative to host.json's "api" prefix;
/// the standalone host maps the full paths.
/// </summary>
public static class AuthRoutes
{
    public const string Prefix = "api";

    public const string Signup = "auth/signup";
    public const string Login = "auth/login";
    public const string Verify = "auth/verify";
    public const string Logout = "auth/logout";

    public const string SignupPath = "/" + Prefix + "/" + Signup;
    public const string LoginPath = "/" + Prefix + "/" + Login;
    public const string VerifyPath = "/" + Prefix + "/" + Verify;
    public const string LogoutPath = "/" + Prefix + "/" + Logout;
}
