using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Serverless.Auth.Accounts;
using Serverless.Auth.Email;
using Serverless.Auth.Sessions;
using Serverless.Auth.Tokens;

namespace Serverless.Auth.Http;

/// <summary>
/// The route table: every endpoint, one line each (name = operation id and Azure Function name, route under /api,
/// declaration next to its handler). The Azure Functions app's classes are generated from these lines
/// (functions/Serverless.Functions/Generated/AuthFunctions.cs), so keep each on one line in this form.
/// </summary>
public static class AuthApi
{
    public static AuthEndpoint Signup { get; } = Post("Signup", "auth/signup", SignupEndpoint.Declaration);
    public static AuthEndpoint Login { get; } = Post("Login", "auth/login", LoginEndpoint.Declaration);
    public static AuthEndpoint Verify { get; } = Get("Verify", "auth/verify", VerifyEndpoint.Declaration);
    public static AuthEndpoint Logout { get; } = Post("Logout", "auth/logout", LogoutEndpoint.Declaration);
    public static AuthEndpoint Refresh { get; } = Post("Refresh", "auth/refresh", RefreshEndpoint.Declaration);
    public static AuthEndpoint LogoutAll { get; } = Post("LogoutAll", "auth/logout-all", LogoutAllEndpoint.Declaration);
    public static AuthEndpoint Sessions { get; } = Get("Sessions", "auth/sessions", SessionListEndpoint.Declaration);
    public static AuthEndpoint RevokeSession { get; } = Post("RevokeSession", "auth/sessions/revoke", RevokeSessionEndpoint.Declaration);
    public static AuthEndpoint ChangePassword { get; } = Post("ChangePassword", "auth/password", ChangePasswordEndpoint.Declaration);
    public static AuthEndpoint DeleteAccount { get; } = Post("DeleteAccount", "auth/account/delete", DeleteAccountEndpoint.Declaration);
    public static AuthEndpoint EmailConfirm { get; } = Post("EmailConfirm", "auth/email/confirm", EmailConfirmEndpoint.Declaration);
    public static AuthEndpoint EmailResend { get; } = Post("EmailResend", "auth/email/resend", MailRequestEndpoint.Resend);
    public static AuthEndpoint EmailChange { get; } = Post("EmailChange", "auth/email/change", EmailChangeEndpoint.Request);
    public static AuthEndpoint EmailChangeConfirm { get; } = Post("EmailChangeConfirm", "auth/email/change/confirm", EmailChangeEndpoint.Confirm);
    public static AuthEndpoint PasswordForgot { get; } = Post("PasswordForgot", "auth/password/forgot", MailRequestEndpoint.Forgot);
    public static AuthEndpoint PasswordReset { get; } = Post("PasswordReset", "auth/password/reset", PasswordResetEndpoint.Declaration);
    public static AuthEndpoint Jwks { get; } = Get("Jwks", "auth/.well-known/jwks.json", JwksEndpoint.Declaration);
    public static AuthEndpoint OpenIdConfiguration { get; } = Get("OpenIdConfiguration", "auth/.well-known/openid-configuration", OpenIdConfigurationEndpoint.Declaration);

    public static IReadOnlyList<AuthEndpoint> All { get; } =
        [
            Signup, Login, Verify, Logout, Refresh, LogoutAll, Sessions, RevokeSession, ChangePassword, DeleteAccount,
            EmailConfirm, EmailResend, EmailChange, EmailChangeConfirm, PasswordForgot, PasswordReset, Jwks, OpenIdConfiguration,
        ];

    /// <summary>Maps every endpoint under /api on a plain ASP.NET Core app (the standalone host).</summary>
    public static RouteGroupBuilder MapAuthApi(this IEndpointRouteBuilder routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        var group = routes.MapGroup("/" + AuthRoutes.Prefix).WithTags("Auth");
        foreach (var endpoint in All)
        {
            endpoint.Declaration.Map(endpoint, group);
        }

        return group;
    }

    private static AuthEndpoint Get(string name, string route, EndpointDeclaration declaration) => new(name, HttpMethods.Get, route, declaration);

    private static AuthEndpoint Post(string name, string route, EndpointDeclaration declaration) => new(name, HttpMethods.Post, route, declaration);
}
