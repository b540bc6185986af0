using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Serverless.Benchmarks.Infrastructure;

/// <summary>A bare ASP.NET Core app (same builder as the Standalone host, no auth): the start-up baseline.</summary>
internal static class BareServer
{
    public const string Path = "/bare";

    public static void Run(int port)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        app.MapGet(Path, () => Results.Text("""{"userId":"00000000-0000-0000-0000-000000000000","email":"bare@example.com","expiresAt":"2000-01-01T00:00:00+00:00"}""", "application/json"));
        app.Run();
    }
}
