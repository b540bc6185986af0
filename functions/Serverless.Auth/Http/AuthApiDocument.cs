using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;

namespace Serverless.Auth.Http;

/// <summary>
/// The OpenAPI 3.1 document of <see cref="AuthApi"/>, generated from the endpoint declarations. The
/// standalone host serves it; a copy is committed as functions/openapi.json (a test keeps them equal).
/// </summary>
public static class AuthApiDocument
{
    /// <summary>The document name the OpenAPI services register.</summary>
    public const string Name = "v1";
    /// <summary>Where the standalone host serves the document.</summary>
    public const string Path = "/openapi/" + Name + ".json";

    /// <summary>The tag of the end-user routes.</summary>
    public const string AuthTag = "Auth";

    /// <summary>The tag of the admin routes (<c>/api/auth/admin/…</c>).</summary>
    public const string AdminTag = "Admin";

    /// <summary>The security scheme of the admin routes: a bearer access token from the admin issuer (<c>Auth__Admin__*</c>).</summary>
    public const string AdminScheme = "adminBearer";

    /// <summary>Registers the OpenAPI document of the auth routes (and whatever else the app maps).</summary>
    public static IServiceCollection AddAuthApiDocument(this IServiceCollection services) =>
        services.AddOpenApi(Name, options =>
        {
            options.OpenApiVersion = OpenApiSpecVersion.OpenApi3_1;
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "Serverless Auth",
                    Version = "1",
                    Description = "Authentication for browser frontends on other origins: signup, login, verify and logout; sessions that "
                        + "refresh with rotation and reuse detection, a session list, revoking one session and signing out everywhere; "
                        + "password change and account deletion; email confirmation and password reset by mail; and the public keys "
                        + "(JWKS) and discovery document for APIs that verify the access tokens themselves. The access and refresh "
                        + "tokens travel only in HttpOnly cookies (non-browser clients may send the access token as a Bearer header); "
                        + "every error is RFC 9457 application/problem+json. Routes are the same on Azure Functions and the standalone host.",
                };
                // The same document for every host and port: no server list derived from the request.
                document.Servers = [];
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[AdminScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    BearerFormat = "JWT",
                    Description = "An access token from the admin issuer (Auth__Admin__Authority, e.g. Entra ID) for Auth__Admin__Audience, with the "
                        + "Auth__Admin__Role app role (default Auth.Admin) in its roles claim. Cookies are never read on admin routes.",
                };
                return Task.CompletedTask;
            });
        });
}
