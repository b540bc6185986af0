using Microsoft.Extensions.Options;

namespace Serverless.Standalone;

/// <summary>
/// CORS from the same settings <c>func start</c> uses: <c>Host:CORS</c> (comma-separated origins)
/// and <c>Host:CORSCredentials</c>. Handlers never write CORS headers; this middleware does.
/// </summary>
internal sealed class HostCorsOptions
{
    public string? CORS { get; set; }
    public bool CORSCredentials { get; set; }

    public string[] Origins => Serverless.Auth.Http.Origins.Split(CORS);
}

internal sealed class HostCorsOptionsValidator : IValidateOptions<HostCorsOptions>
{
    public ValidateOptionsResult Validate(string? name, HostCorsOptions options)
    {
        var origins = options.Origins;
        if (options.CORSCredentials && origins.Contains("*"))
        {
            return ValidateOptionsResult.Fail("Host.CORS contains '*' while Host.CORSCredentials is true: list the frontend origins explicitly (browsers reject '*' with credentials).");
        }

        if (origins.Contains("*"))
        {
            return ValidateOptionsResult.Fail("Host.CORS contains '*': list the frontend origins explicitly (scheme://host[:port]); a wildcard lets every site read this API's answers.");
        }

        var malformed = origins.Where(o => !Serverless.Auth.Http.Origins.IsOrigin(o)).ToArray();
        return malformed.Length > 0
            ? ValidateOptionsResult.Fail($"Host.CORS has entries that are not origins (scheme://host[:port]: no path, no trailing slash, no wildcard such as https://*.example.com, no trailing dot): {string.Join(", ", malformed)}")
            : ValidateOptionsResult.Success;
    }
}

internal static class HostCorsExtensions
{
    public static WebApplicationBuilder AddHostCors(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptionsWithValidateOnStart<HostCorsOptions, HostCorsOptionsValidator>().BindConfiguration("Host");
        builder.Services.AddCors();
        builder.Services.AddOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>()
            .Configure<IOptions<HostCorsOptions>>((cors, host) => cors.AddDefaultPolicy(policy =>
            {
                // Validated at start-up: exact origins only, never '*'.
                policy.WithOrigins(host.Value.Origins);
                policy.WithMethods("GET", "POST").WithHeaders("Content-Type", "Authorization").SetPreflightMaxAge(TimeSpan.FromMinutes(10));
                if (host.Value.CORSCredentials)
                {
                    policy.AllowCredentials();
                }
            }));
        return builder;
    }
}
