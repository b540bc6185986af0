using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;
using Serverless.Testing;

namespace Serverless.Browser.Tests.Infrastructure;

/// <summary>
/// Serves tests/demo (the same files a human opens) on two loopback ports, which gives three page origins:
/// <see cref="SameSiteOrigin"/> and <see cref="CrossSiteOrigin"/> are allowed by the API's CORS list;
/// <see cref="ForeignOrigin"/> is not.
/// </summary>
public sealed class DemoSite : IAsyncDisposable
{
    private readonly WebApplication app;

    private DemoSite(WebApplication app, int port, int foreignPort)
    {
        this.app = app;
        Port = port;
        ForeignPort = foreignPort;
    }

    public int Port { get; }
    public int ForeignPort { get; }

    /// <summary>Same site as an API on http://localhost:&lt;any port&gt; (ports do not make sites differ).</summary>
    public string SameSiteOrigin => $"http://localhost:{Port}";

    /// <summary>Another site than http://localhost: cookies set by the API are third-party here.</summary>
    public string CrossSiteOrigin => $"http://127.0.0.1:{Port}";

    /// <summary>An origin the API does not list in Host.CORS / Auth.AllowedOrigins.</summary>
    public string ForeignOrigin => $"http://localhost:{ForeignPort}";

    public static string Folder => RepoPaths.Combine("tests", "demo");

    /// <summary>The built browser client the demo page imports (clients/js/dist, copied there by .ci/demo-client.mjs).</summary>
    public static string VendoredClient => Path.Combine(Folder, "vendor", "serverless-auth-client", "index.js");

    public static async Task<DemoSite> StartAsync()
    {
        if (!File.Exists(VendoredClient))
        {
            throw new InvalidOperationException(
                $"{VendoredClient} is missing: the demo page imports the built browser client. Run npm test (or: cd clients/js && npm run build && cd ../.. && node .ci/demo-client.mjs).");
        }

        var (app, (port, foreignPort)) = await LocalhostPorts.StartAsync(() =>
        {
            int port = LocalhostPorts.Free(), foreignPort = LocalhostPorts.Free();
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = Folder });
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                // Both 127.0.0.1 and ::1, so "localhost" works whichever address Chromium picks.
                kestrel.ListenLocalhost(port);
                kestrel.ListenLocalhost(foreignPort);
            });
            var app = builder.Build();
            var files = new PhysicalFileProvider(Folder);
            app.Use(async (context, next) =>
            {
                context.Response.Headers.CacheControl = "no-store";
                await next(context);
            });
            app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
            app.UseStaticFiles(new StaticFileOptions { FileProvider = files });
            return (app, (port, foreignPort));
        });
        return new DemoSite(app, port, foreignPort);
    }

    /// <summary>The demo page on <paramref name="origin"/>, pointed at <paramref name="apiBase"/> by its ?api= parameter.</summary>
    public static string PageUrl(string origin, string apiBase) => $"{origin}/index.html?api={Uri.EscapeDataString(apiBase)}";

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
