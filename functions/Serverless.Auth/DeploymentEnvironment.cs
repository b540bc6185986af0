namespace Serverless.Auth;

/// <summary>
/// Where the process runs, as the start-up checks need it. Azure: App Service / Azure Functions set
/// <c>WEBSITE_SITE_NAME</c> on every instance. Development: <c>ASPNETCORE_ENVIRONMENT</c> (the standalone
/// host; <c>npm start</c> sets it) or, when that is unset, <c>AZURE_FUNCTIONS_ENVIRONMENT</c> (<c>func start</c>
/// reads it from local.settings.json) is <c>Development</c>. Never Development in Azure.
/// </summary>
internal sealed record DeploymentEnvironment(bool RunningInAzure, bool IsDevelopment)
{
    public static DeploymentEnvironment Current
    {
        get
        {
            var inAzure = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("WEBSITE_SITE_NAME"));
            var name = Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") is { Length: > 0 } aspNetCore
                ? aspNetCore
                : Environment.GetEnvironmentVariable("AZURE_FUNCTIONS_ENVIRONMENT");
            return new(inAzure, !inAzure && string.Equals(name, "Development", StringComparison.OrdinalIgnoreCase));
        }
    }
}
