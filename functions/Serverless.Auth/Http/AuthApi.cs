using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Auth.Accounts;
using Serverless.Auth.Admin;
using Serverless.Auth.Events;
using Serverless.Auth.Email;
using Serverless.Auth.Mfa;
using Serverless.Auth.Oidc;
using Serverless.Auth.Passkeys;
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
    /// <summary><c>POST /api/auth/signup</c>: Sign up.</summary>
    public static AuthEndpoint Signup { get; } = Post("Signup", "signup", SignupEndpoint.Declaration);
    /// <summary><c>POST /api/auth/login</c>: Log in.</summary>
    public static AuthEndpoint Login { get; } = Post("Login", "login", LoginEndpoint.Declaration);
    /// <summary><c>GET /api/auth/verify</c>: Who is signed in.</summary>
    public static AuthEndpoint Verify { get; } = Get("Verify", "verify", VerifyEndpoint.Declaration);
    /// <summary><c>POST /api/auth/logout</c>: Log out.</summary>
    public static AuthEndpoint Logout { get; } = Post("Logout", "logout", LogoutEndpoint.Declaration);
    /// <summary><c>POST /api/auth/refresh</c>: Refresh the session.</summary>
    public static AuthEndpoint Refresh { get; } = Post("Refresh", "refresh", RefreshEndpoint.Declaration);
    /// <summary><c>POST /api/auth/logout-all</c>: Log out everywhere.</summary>
    public static AuthEndpoint LogoutAll { get; } = Post("LogoutAll", "logout-all", LogoutAllEndpoint.Declaration);
    /// <summary><c>GET /api/auth/sessions</c>: List my sessions.</summary>
    public static AuthEndpoint Sessions { get; } = Get("Sessions", "sessions", SessionListEndpoint.Declaration);
    /// <summary><c>POST /api/auth/sessions/revoke</c>: End one of my sessions.</summary>
    public static AuthEndpoint RevokeSession { get; } = Post("RevokeSession", "sessions/revoke", RevokeSessionEndpoint.Declaration);
    /// <summary><c>POST /api/auth/password</c>: Change my password.</summary>
    public static AuthEndpoint ChangePassword { get; } = Post("ChangePassword", "password", ChangePasswordEndpoint.Declaration);
    /// <summary><c>POST /api/auth/account/delete</c>: Delete my account.</summary>
    public static AuthEndpoint DeleteAccount { get; } = Post("DeleteAccount", "account/delete", DeleteAccountEndpoint.Declaration);
    /// <summary><c>POST /api/auth/email/confirm</c>: Confirm the email address.</summary>
    public static AuthEndpoint EmailConfirm { get; } = Post("EmailConfirm", "email/confirm", EmailConfirmEndpoint.Declaration);
    /// <summary><c>POST /api/auth/email/resend</c>: Resend the confirmation mail.</summary>
    public static AuthEndpoint EmailResend { get; } = Post("EmailResend", "email/resend", MailRequestEndpoint.Resend);
    /// <summary><c>POST /api/auth/email/change</c>: Change my email address.</summary>
    public static AuthEndpoint EmailChange { get; } = Post("EmailChange", "email/change", EmailChangeEndpoint.Request);
    /// <summary><c>POST /api/auth/email/change/confirm</c>: Confirm an email change.</summary>
    public static AuthEndpoint EmailChangeConfirm { get; } = Post("EmailChangeConfirm", "email/change/confirm", EmailChangeEndpoint.Confirm);
    /// <summary><c>POST /api/auth/password/forgot</c>: Forgot password.</summary>
    public static AuthEndpoint PasswordForgot { get; } = Post("PasswordForgot", "password/forgot", MailRequestEndpoint.Forgot);
    /// <summary><c>POST /api/auth/password/reset</c>: Reset the password.</summary>
    public static AuthEndpoint PasswordReset { get; } = Post("PasswordReset", "password/reset", PasswordResetEndpoint.Declaration);
    /// <summary><c>POST /api/auth/mfa/verify</c>: Complete a sign-in with a second factor.</summary>
    public static AuthEndpoint MfaVerify { get; } = Post("MfaVerify", "mfa/verify", MfaVerifyEndpoint.Declaration);
    /// <summary><c>GET /api/auth/mfa</c>: My second factors.</summary>
    public static AuthEndpoint MfaStatus { get; } = Get("MfaStatus", "mfa", MfaEndpoints.Status);
    /// <summary><c>POST /api/auth/mfa/totp/setup</c>: Set up TOTP.</summary>
    public static AuthEndpoint MfaTotpSetup { get; } = Post("MfaTotpSetup", "mfa/totp/setup", MfaEndpoints.Setup);
    /// <summary><c>POST /api/auth/mfa/totp/enable</c>: Enable TOTP.</summary>
    public static AuthEndpoint MfaTotpEnable { get; } = Post("MfaTotpEnable", "mfa/totp/enable", MfaEndpoints.Enable);
    /// <summary><c>POST /api/auth/mfa/totp/disable</c>: Disable TOTP.</summary>
    public static AuthEndpoint MfaTotpDisable { get; } = Post("MfaTotpDisable", "mfa/totp/disable", MfaEndpoints.Disable);
    /// <summary><c>POST /api/auth/mfa/recovery-codes</c>: New recovery codes.</summary>
    public static AuthEndpoint MfaRecoveryCodes { get; } = Post("MfaRecoveryCodes", "mfa/recovery-codes", MfaEndpoints.NewRecoveryCodes);
    /// <summary><c>POST /api/auth/mfa/passkey/options</c>: Options for a passkey as the second step.</summary>
    public static AuthEndpoint MfaPasskeyOptions { get; } = Post("MfaPasskeyOptions", "mfa/passkey/options", PasskeyLoginEndpoints.SecondStepOptions);
    /// <summary><c>POST /api/auth/passkeys/register/options</c>: Options to add a passkey.</summary>
    public static AuthEndpoint PasskeyRegisterOptions { get; } = Post("PasskeyRegisterOptions", "passkeys/register/options", PasskeyEndpoints.RegisterOptions);
    /// <summary><c>POST /api/auth/passkeys/register</c>: Add a passkey.</summary>
    public static AuthEndpoint PasskeyRegister { get; } = Post("PasskeyRegister", "passkeys/register", PasskeyEndpoints.Register);
    /// <summary><c>POST /api/auth/passkeys/login/options</c>: Options to sign in with a passkey.</summary>
    public static AuthEndpoint PasskeyLoginOptions { get; } = Post("PasskeyLoginOptions", "passkeys/login/options", PasskeyLoginEndpoints.LoginOptions);
    /// <summary><c>POST /api/auth/passkeys/login</c>: Sign in with a passkey.</summary>
    public static AuthEndpoint PasskeyLogin { get; } = Post("PasskeyLogin", "passkeys/login", PasskeyLoginEndpoints.Login);
    /// <summary><c>GET /api/auth/passkeys</c>: My passkeys.</summary>
    public static AuthEndpoint Passkeys { get; } = Get("Passkeys", "passkeys", PasskeyEndpoints.List);
    /// <summary><c>POST /api/auth/passkeys/rename</c>: Rename a passkey.</summary>
    public static AuthEndpoint PasskeyRename { get; } = Post("PasskeyRename", "passkeys/rename", PasskeyEndpoints.Rename);
    /// <summary><c>POST /api/auth/passkeys/delete</c>: Delete a passkey.</summary>
    public static AuthEndpoint PasskeyDelete { get; } = Post("PasskeyDelete", "passkeys/delete", PasskeyEndpoints.Delete);
    /// <summary><c>GET /api/auth/oidc/providers</c>: Social sign-in providers.</summary>
    public static AuthEndpoint OidcProviders { get; } = Get("OidcProviders", "oidc/providers", OidcEndpoints.Providers);
    /// <summary><c>GET /api/auth/oidc/{provider}/start</c>: Start a social sign-in.</summary>
    public static AuthEndpoint OidcStart { get; } = Get("OidcStart", "oidc/{provider}/start", OidcEndpoints.Start);
    /// <summary><c>GET /api/auth/oidc/{provider}/callback</c>: The provider's return (redirect URI).</summary>
    public static AuthEndpoint OidcCallback { get; } = Get("OidcCallback", "oidc/{provider}/callback", OidcEndpoints.Callback);
    /// <summary><c>POST /api/auth/oidc/exchange</c>: Finish a social sign-in.</summary>
    public static AuthEndpoint OidcExchange { get; } = Post("OidcExchange", "oidc/exchange", OidcEndpoints.Exchange);
    /// <summary><c>POST /api/auth/oidc/{provider}/link</c>: Link a provider to my account.</summary>
    public static AuthEndpoint OidcLink { get; } = Post("OidcLink", "oidc/{provider}/link", OidcEndpoints.Link);
    /// <summary><c>GET /api/auth/identities</c>: My linked providers.</summary>
    public static AuthEndpoint Identities { get; } = Get("Identities", "identities", OidcEndpoints.Identities);
    /// <summary><c>POST /api/auth/identities/unlink</c>: Unlink a provider.</summary>
    public static AuthEndpoint IdentityUnlink { get; } = Post("IdentityUnlink", "identities/unlink", OidcEndpoints.Unlink);
    /// <summary><c>GET /api/auth/activity</c>: My recent security activity.</summary>
    public static AuthEndpoint Activity { get; } = Get("Activity", "activity", ActivityEndpoint.Declaration);
    /// <summary><c>POST /api/auth/admin/users/find</c>: Find an account by email (admin).</summary>
    public static AuthEndpoint ManageUserFind { get; } = Post("ManageUserFind", "admin/users/find", AdminEndpoints.Find);
    /// <summary><c>GET /api/auth/admin/users/{id}</c>: An account's summary (admin).</summary>
    public static AuthEndpoint ManageUserGet { get; } = Get("ManageUserGet", "admin/users/{id}", AdminEndpoints.Get);
    /// <summary><c>POST /api/auth/admin/users/{id}/disable</c>: Disable an account (admin).</summary>
    public static AuthEndpoint ManageUserDisable { get; } = Post("ManageUserDisable", "admin/users/{id}/disable", AdminEndpoints.Disable);
    /// <summary><c>POST /api/auth/admin/users/{id}/enable</c>: Enable an account (admin).</summary>
    public static AuthEndpoint ManageUserEnable { get; } = Post("ManageUserEnable", "admin/users/{id}/enable", AdminEndpoints.Enable);
    /// <summary><c>POST /api/auth/admin/users/{id}/signout</c>: Sign an account out everywhere (admin).</summary>
    public static AuthEndpoint ManageUserSignOut { get; } = Post("ManageUserSignOut", "admin/users/{id}/signout", AdminEndpoints.SignOut);
    /// <summary><c>POST /api/auth/admin/users/{id}/delete</c>: Delete an account (admin).</summary>
    public static AuthEndpoint ManageUserDelete { get; } = Post("ManageUserDelete", "admin/users/{id}/delete", AdminEndpoints.Delete);
    /// <summary><c>POST /api/auth/admin/users/{id}/resend-confirmation</c>: Resend an account's confirmation mail (admin).</summary>
    public static AuthEndpoint ManageUserResendConfirmation { get; } = Post("ManageUserResendConfirmation", "admin/users/{id}/resend-confirmation", AdminEndpoints.ResendConfirmation);
    /// <summary><c>GET /api/auth/admin/events</c>: The fleet event log (admin).</summary>
    public static AuthEndpoint ManageEvents { get; } = Get("ManageEvents", "admin/events", AdminEndpoints.Events);
    /// <summary><c>GET /api/auth/.well-known/jwks.json</c>: The public keys that verify access tokens (JWKS).</summary>
    public static AuthEndpoint Jwks { get; } = Get("Jwks", ".well-known/jwks.json", JwksEndpoint.Declaration);
    /// <summary><c>GET /api/auth/.well-known/openid-configuration</c>: Discovery document (issuer, jwks_uri).</summary>
    public static AuthEndpoint OpenIdConfiguration { get; } = Get("OpenIdConfiguration", ".well-known/openid-configuration", OpenIdConfigurationEndpoint.Declaration);

    /// <summary>Every endpoint, in the order the OpenAPI document lists them.</summary>
    public static IReadOnlyList<AuthEndpoint> All { get; } =
        [
            Signup, Login, Verify, Logout, Refresh, LogoutAll, Sessions, RevokeSession, ChangePassword, DeleteAccount,
            EmailConfirm, EmailResend, EmailChange, EmailChangeConfirm, PasswordForgot, PasswordReset,
            MfaVerify, MfaStatus, MfaTotpSetup, MfaTotpEnable, MfaTotpDisable, MfaRecoveryCodes, MfaPasskeyOptions,
            PasskeyRegisterOptions, PasskeyRegister, PasskeyLoginOptions, PasskeyLogin, Passkeys, PasskeyRename, PasskeyDelete,
            OidcProviders, OidcStart, OidcCallback, OidcExchange, OidcLink, Identities, IdentityUnlink, Activity,
            ManageUserFind, ManageUserGet, ManageUserDisable, ManageUserEnable, ManageUserSignOut, ManageUserDelete, ManageUserResendConfirmation, ManageEvents,
            Jwks, OpenIdConfiguration,
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
        var group = routes.MapGroup(path);
        foreach (var endpoint in All)
        {
            endpoint.Declaration.Map(endpoint, group);
        }

        return group;
    }

    private static AuthEndpoint Get(string name, string route, EndpointDeclaration declaration) => new(name, HttpMethods.Get, route, declaration);

    private static AuthEndpoint Post(string name, string route, EndpointDeclaration declaration) => new(name, HttpMethods.Post, route, declaration);
}
