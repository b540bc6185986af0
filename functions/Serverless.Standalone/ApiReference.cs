using Scalar.AspNetCore;
using Serverless.Auth.Http;

namespace Serverless.Standalone;

/// <summary>
/// The OpenAPI document at /openapi/v1.json and the API reference page (Scalar) over it at /scalar. Both off
/// unless <c>ApiReference__Enabled=true</c> (npm start sets it): a deployment does not advertise its API by
/// default. Everything is served from this host: Scalar's script from the package, no CDN fonts, no telemetry.
/// </summary>
internal static class ApiReference
{
    public const string EnabledSetting = "ApiReference:Enabled";
    public const string Path = "/scalar";

    public static void MapApiReference(this WebApplication app)
    {
        if (!app.Configuration.GetValue<bool>(EnabledSetting))
        {
            return;
        }

        app.MapOpenApi(AuthApiDocument.Path);
        app.MapScalarApiReference(Path, options =>
        {
            options.WithTitle("Serverless Auth API")
                .WithOpenApiRoutePattern(AuthApiDocument.Path)
                .DisableDefaultFonts()
                .DisableTelemetry();
            // Both talk to Scalar's hosted services: not for a page that should never leave this host.
            options.Agent = new ScalarAgentOptions { Disabled = true };
            options.ShowDeveloperTools = DeveloperToolsVisibility.Never;
        });
    }
}
