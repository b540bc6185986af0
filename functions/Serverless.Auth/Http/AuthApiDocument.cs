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
    public const string Name = "v1";
    public const string Path = "/openapi/" + Name + ".json";

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
                    Description = "Signup, login, verify and logout for browser frontends. The session is a JWT in an HttpOnly cookie; "
                        + "every error is RFC 9457 application/problem+json. Routes are the same on Azure Functions and the standalone host.",
                };
                // The same document for every host and port: no server list derived from the request.
                document.Servers = [];
                return Task.CompletedTask;
            });
        });
}
