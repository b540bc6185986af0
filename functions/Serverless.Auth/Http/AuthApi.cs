using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Serverless.Auth.Accounts;
using Serverless.Auth.Email;
using Serverless.Auth.Sessions;
using Serverless.Auth.Tokens;

namespace Serverless.Auth.Http;

/// <summary>The API: every endpoint, declared once (see <see cref="AuthEndpoint"/>). Each has its own Azure Function.</summary>
public static class AuthApi
{
    public static AuthEndpoint Signup { get; } = SignupEndpoint.Declaration;
    public static AuthEndpoint Login { get; } = LoginEndpoint.Declaration;
    public static AuthEndpoint Verify { get; } = VerifyEndpoint.Declaration;
    public static AuthEndpoint Logout { get; } = LogoutEndpoint.Declaration;
    public static AuthEndpoint Refresh { get; } = RefreshEndpoint.Declaration;
    public static AuthEndpoint LogoutAll { get; } = LogoutAllEndpoint.Declaration;
    public static AuthEndpoint Sessions { get; } = SessionListEndpoint.Declaration;
    public static AuthEndpoint RevokeSession { get; } = RevokeSessionEndpoint.Declaration;
    public static AuthEndpoint ChangePassword { get; } = ChangePasswordEndpoint.Declaration;
    public static AuthEndpoint DeleteAccount { get; } = DeleteAccountEndpoint.Declaration;
    public static AuthEndpoint EmailConfirm { get; } = EmailConfirmEndpoint.Declaration;
    public static AuthEndpoint EmailResend { get; } = MailRequestEndpoint.Resend;
    public static AuthEndpoint PasswordForgot { get; } = MailRequestEndpoint.Forgot;
    public static AuthEndpoint PasswordReset { get; } = PasswordResetEndpoint.Declaration;
    public static AuthEndpoint Jwks { get; } = JwksEndpoint.Declaration;
    public static AuthEndpoint OpenIdConfiguration { get; } = OpenIdConfigurationEndpoint.Declaration;

    public static IReadOnlyList<AuthEndpoint> All { get; } =
        [
            Signup, Login, Verify, Logout, Refresh, LogoutAll, Sessions, RevokeSession, ChangePassword, DeleteAccount,
            EmailConfirm, EmailResend, PasswordForgot, PasswordReset, Jwks, OpenIdConfiguration,
        ];

    /// <summary>Maps every endpoint under /api on a plain ASP.NET Core app (the standalone host).</summary>
    public static RouteGroupBuilder MapAuthApi(this IEndpointRouteBuilder routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        var group = routes.MapGroup("/" + AuthRoutes.Prefix).WithTags("Auth");
        foreach (var endpoint in All)
        {
            endpoint.Map(group);
        }

        return group;
    }
}
