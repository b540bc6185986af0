using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Serverless.Standalone;
using Serverless.Testing;

namespace Serverless.Benchmarks.Infrastructure;

/// <summary>
/// Serverless.Standalone in this process on a free loopback port, plus <c>/bare</c>: a plain endpoint on
/// the same host (same pipeline, same CORS middleware) answering a fixed JSON body set by the caller.
/// </summary>
internal sealed class InProcessApi : IAsyncDisposable
{
    private byte[] bareBody = "{}"u8.ToArray();

    private InProcessApi(WebApplication app) => App = app;

    public WebApplication App { get; }
    public Uri BaseAddress { get; private set; } = null!;

    public static async Task<InProcessApi> StartAsync(Dictionary<string, string?> settings)
    {
        settings["urls"] = "http://127.0.0.1:0";
        var app = StandaloneApp.Build([], settings);
        var api = new InProcessApi(app);
        app.MapGet(BareServer.Path, () => Results.Bytes(api.bareBody, "application/json; charset=utf-8"));
        api.BaseAddress = await TestApi.StartAsync(app);
        return api;
    }

    public void SetBareBody(byte[] body) => bareBody = body;

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
