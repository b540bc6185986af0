using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Auth.Http;
using Serverless.Standalone;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Infrastructure;

/// <summary>Serverless.Standalone in this process on a free loopback port, with its own tables.</summary>
public sealed class ApiHost : IAsyncDisposable
{
    private ApiHost(WebApplication app, Uri baseAddress, IReadOnlyDictionary<string, string?> settings)
    {
        App = app;
        BaseAddress = baseAddress;
        Settings = settings;
        // No cookie container: tests read Set-Cookie and send Cookie headers explicitly.
        Client = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = baseAddress };
    }

    public WebApplication App { get; }
    public Uri BaseAddress { get; }
    public HttpClient Client { get; }
    public IReadOnlyDictionary<string, string?> Settings { get; }

    public static Dictionary<string, string?> DefaultSettings(string connectionString)
    {
        var settings = TestApi.Settings(connectionString);
        settings["urls"] = "http://127.0.0.1:0";
        settings["Host:CORS"] = "http://localhost:5173";
        settings["Host:CORSCredentials"] = "true";
        return settings;
    }

    public static async Task<ApiHost> StartAsync(string connectionString, Action<Dictionary<string, string?>>? configure = null)
    {
        var settings = DefaultSettings(connectionString);
        configure?.Invoke(settings);
        return await StartAsync(settings);
    }

    public static async Task<ApiHost> StartAsync(IReadOnlyDictionary<string, string?> settings, Action<WebApplicationBuilder>? configure = null)
    {
        var app = StandaloneApp.Build([], settings, configure);
        return new ApiHost(app, await TestApi.StartAsync(app, TestContext.Current.CancellationToken), settings);
    }

    public T Service<T>() where T : notnull => App.Services.GetRequiredService<T>();

    public Task<HttpResponseMessage> SignupAsync(string email, string password) =>
        Client.PostAsJsonAsync(AuthRoutes.SignupPath, new { email, password }, TestContext.Current.CancellationToken);

    public Task<HttpResponseMessage> LoginAsync(string email, string password) =>
        Client.PostAsJsonAsync(AuthRoutes.LoginPath, new { email, password }, TestContext.Current.CancellationToken);

    public Task<HttpResponseMessage> VerifyAsync(string? cookieHeader = null, string? bearer = null) =>
        SendAsync(HttpMethod.Get, AuthRoutes.VerifyPath, cookieHeader, bearer);

    public Task<HttpResponseMessage> LogoutAsync(string? cookieHeader = null, string? bearer = null) =>
        SendAsync(HttpMethod.Post, AuthRoutes.LogoutPath, cookieHeader, bearer);

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? cookieHeader, string? bearer)
    {
        var request = new HttpRequestMessage(method, path);
        if (cookieHeader is not null)
        {
            request.Headers.Add("Cookie", cookieHeader);
        }

        if (bearer is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        }

        return Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
