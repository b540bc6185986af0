using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Auth.Accounts;
using Serverless.Auth.Email;
using Serverless.Auth.Sessions;
using Serverless.Auth.Tokens;

namespace Serverless.Auth.Http;

/// <summary>
/// The route table: every endpoint, one line each (name = operation id and Azure Function name, route relative to
/// the auth base path, declaration next to its handler). The Azure Functions app's classes are generated from these lines
/// (functions/Serverless.Functions/Generated/AuthFunctions.cs), so keep each on one line in this form.
/// </summary>
public static class AuthApi
{
    public static AuthEndpoint Signup { get; } = Post("Signup", "signup", SignupEndpoint.Declaration);
    public static AuthEndpoint Login { get; } = Post("Login", "login", LoginEndpoint.Declaration);
    public static AuthEndpoint Verify { get; } = Get("Verify", "verify", VerifyEndpoint.Declaration);
    public static AuthEndpoint Logout { get; } = Post("Logout", "logout", LogoutEndpoint.Declaration);
    public static AuthEndpoint Refresh { get; } = Post("Refresh", "refresh", RefreshEndpoint.Declaration);
    public static AuthEndpoint LogoutAll { get; } = Post("LogoutAll", "logout-all", LogoutAllEndpoint.Declaration);
    public static AuthEndpoint Sessions { get; } = Get("Sessions", "sessions", SessionListEndpoint.Declaration);
    public static AuthEndpoint RevokeSession { get; } = Post("RevokeSession", "sessions/revoke", RevokeSessionEndpoint.Declaration);
    public static AuthEndpoint ChangePassword { get; } = Post("ChangePassword", "password", ChangePasswordEndpoint.Declaration);
    public static AuthEndpoint DeleteAccount { get; } = Post("DeleteAccount", "account/delete", DeleteAccountEndpoint.Declaration);
    public static AuthEndpoint EmailConfirm { get; } = Post("EmailConfirm", "email/confirm", EmailConfirmEndpoint.Declaration);
    public static AuthEndpoint EmailResend { get; } = Post("EmailResend", "email/resend", MailRequestEndpoint.Resend);
    public static AuthEndpoint EmailChange { get; } = Post("EmailChange", "email/change", EmailChangeEndpoint.Request);
    public static AuthEndpoint EmailChangeConfirm { get; } = Post("EmailChangeConfirm", "email/change/confirm", EmailChangeEndpoint.Confirm);
    public static AuthEndpoint PasswordForgot { get; } = Post("PasswordForgot", "password/forgot", MailRequestEndpoint.Forgot);
    public static AuthEndpoint PasswordReset { get; } = Post("PasswordReset", "password/reset", PasswordResetEndpoint.Declaration);
    public static AuthEndpoint Jwks { get; } = Get("Jwks", ".well-known/jwks.json", JwksEndpoint.Declaration);
    public static AuthEndpoint OpenIdConfiguration { get; } = Get("OpenIdConfiguration", ".well-known/openid-configuration", OpenIdConfigurationEndpoint.Declaration);

    public static IReadOnlyList<AuthEndpoint> All { get; } =
        [
            Signup, Login, Verify, Logout, Refresh, LogoutAll, Sessions, RevokeSession, ChangePassword, DeleteAccount,
            EmailConfirm, EmailResend, EmailChange, EmailChangeConfirm, PasswordForgot, PasswordReset, Jwks, OpenIdConfiguration,
        ];

    /// <summary>
    /// Maps every endpoint under <paramref name="basePath"/> (default <c>/api/auth</c>) on an ASP.NET Core app, after
    /// <see cref="ServerlessAuthExtensions.AddServerlessAuth"/>. The refresh and device cookies are scoped to that path
    /// and the discovery document's <c>jwks_uri</c> points under it. Call it once, before the app starts.
    /// </summary>
    public static RouteGroupBuilder MapAuthApi(this IEndpointRouteBuilder routes, string basePath = AuthRoutes.DefaultBasePath)
    {
        ArgumentNullException.ThrowIfNull(routes);
        var path = AuthMount.Normalize(basePath);
        var mount = routes.ServiceProvider.GetService<AuthMount>()
            ?? throw new InvalidOperationException("MapAuthApi needs the auth service's registration: call builder.AddServerlessAuth() first.");
        mount.MountAt(path);
        var group = routes.MapGroup(path).WithTags("Auth");
        foreach (var endpoint in All)
        {
            endpoint.Declaration.Map(endpoint, group);
        }

        return group;
    }

    private static AuthEndpoint Get(string name, string route, EndpointDeclaration declaration) => new(name, HttpMethods.Get, route, declaration);

    private static AuthEndpoint Post(string name, string route, EndpointDeclaration declaration) => new(name, HttpMethods.Post, route, declaration);
}
