using Serverless.Auth;
using Serverless.Auth.Http;

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
        builder.AddHostCors();
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseCors();
        app.MapServerlessAuth();
        return app;
    }
}
