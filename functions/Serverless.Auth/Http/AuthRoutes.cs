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
    public const string Refresh = "auth/refresh";
    public const string LogoutAll = "auth/logout-all";
    public const string Sessions = "auth/sessions";
    public const string RevokeSession = "auth/sessions/revoke";
    public const string ChangePassword = "auth/password";
    public const string DeleteAccount = "auth/account/delete";
    public const string EmailConfirm = "auth/email/confirm";
    public const string EmailResend = "auth/email/resend";
    public const string PasswordForgot = "auth/password/forgot";
    public const string PasswordReset = "auth/password/reset";
    public const string Jwks = "auth/.well-known/jwks.json";
    public const string OpenIdConfiguration = "auth/.well-known/openid-configuration";

    /// <summary>The refresh cookie's path: sent to the auth routes only.</summary>
    public const string AuthPath = "/" + Prefix + "/auth";

    public const string SignupPath = "/" + Prefix + "/" + Signup;
    public const string LoginPath = "/" + Prefix + "/" + Login;
    public const string VerifyPath = "/" + Prefix + "/" + Verify;
    public const string LogoutPath = "/" + Prefix + "/" + Logout;
    public const string RefreshPath = "/" + Prefix + "/" + Refresh;
    public const string LogoutAllPath = "/" + Prefix + "/" + LogoutAll;
    public const string SessionsPath = "/" + Prefix + "/" + Sessions;
    public const string RevokeSessionPath = "/" + Prefix + "/" + RevokeSession;
    public const string ChangePasswordPath = "/" + Prefix + "/" + ChangePassword;
    public const string DeleteAccountPath = "/" + Prefix + "/" + DeleteAccount;
    public const string EmailConfirmPath = "/" + Prefix + "/" + EmailConfirm;
    public const string EmailResendPath = "/" + Prefix + "/" + EmailResend;
    public const string PasswordForgotPath = "/" + Prefix + "/" + PasswordForgot;
    public const string PasswordResetPath = "/" + Prefix + "/" + PasswordReset;
    public const string JwksPath = "/" + Prefix + "/" + Jwks;
    public const string OpenIdConfigurationPath = "/" + Prefix + "/" + OpenIdConfiguration;
}
