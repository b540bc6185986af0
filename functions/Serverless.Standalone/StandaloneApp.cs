using Serverless.Auth;
using Serverless.Auth.Http;
using Serverless.Samples;

namespace Serverless.Standalone;

public static class StandaloneApp
{
    public const string DefaultUrl = "http://localhost:7071";

    /// <summary>
    /// Builds the app: local.settings.json (as <c>func start</c> reads it), then environment variables,
    /// then command line, then <paramref name="overrides"/>; <paramref name="configure"/> lets tests add
    /// services such as a log collector.
    /// </summary>
    public static WebApplication Build(string[] args, IReadOnlyDictionary<string, string?>? overrides = null, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Configuration.AddLocalSettingsFile(Path.Combine(Directory.GetCurrentDirectory(), "local.settings.json"));
        if (overrides is not null)
        {
            builder.Configuration.AddInMemoryCollection(overrides);
        }

        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        builder.AddServerlessAuth();
        builder.AddSampleApi();
        builder.AddScheduledCleanup();
        builder.AddMailQueueSender();
        builder.AddHostCors();
        builder.AddProxyForwardedHeaders();
        // Every status this host answers is problem+json: 404, 405 (with Allow), and a 500 without internals.
        // No traceId member: the same problem body on every host, and identical bodies where they must
        // not differ (login's one 401 for an unknown email and a wrong password).
        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = context => context.ProblemDetails.Extensions.Remove("traceId"));
        builder.Services.AddAuthApiDocument();
        configure?.Invoke(builder);

        var app = builder.Build();
        // First: the client address, scheme and host as the proxy in front saw them (Standalone:ForwardedHeadersProxies).
        app.UseProxyForwardedHeaders();
        // The auth headers on every answer, also those no endpoint writes (404, 405, 500); OnStarting
        // survives the exception handler clearing the response.
        app.Use((context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                ResponseDefaults.ApplyHeaders(context.Response);
                return Task.CompletedTask;
            });
            return next(context);
        });
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseCors();
        // After CORS, so a preflight for a protected endpoint is answered by CORS, not challenged.
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapAuthApi();
        app.MapSampleApi();
        app.MapApiReference();
        app.Services.WarmUpInBackground();
        return app;
    }
}
