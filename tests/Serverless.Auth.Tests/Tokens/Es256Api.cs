using System.Net;
using System.Net.Sockets;
using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Tokens;

/// <summary>
/// An ES256 instance of the API on a port chosen up front, so its issuer (http://127.0.0.1:port/api/auth,
/// the recommended layout) is the address verifiers fetch discovery from; restarts keep port, tables and
/// server key, so sessions survive a key change as they do in Azure.
/// </summary>
internal sealed class Es256Api(AzuriteFixture azurite)
{
    public const string Password = "plum-orchard-lantern-4821";

    private readonly string tableSuffix = Guid.NewGuid().ToString("N")[..10];

    public int Port { get; } = FreePort();

    public string BaseUrl => $"http://127.0.0.1:{Port}";

    public string Issuer => BaseUrl + "/api/auth";

    public string JwksUrl => Issuer + "/.well-known/jwks.json";

    public const string Audience = "https://app.test";

    public static string NewPem() => ECDsa.Create(ECCurve.NamedCurves.nistP256).ExportPkcs8PrivateKeyPem();

    public Task<TestApi> StartAsync(string signingPem, string? publishedPem = null)
    {
        var settings = TestApi.DefaultSettings(azurite.ConnectionString, tableSuffix);
        settings["urls"] = BaseUrl;
        settings["Auth:Jwt:Issuer"] = Issuer;
        settings["Auth:Jwt:SigningKey"] = null;
        settings["Auth:Jwt:SigningKeysPem"] = signingPem;
        settings["Auth:Jwt:PublishedKeysPem"] = publishedPem;
        return TestApi.StartAsync(settings, cancellationToken: TestContext.Current.CancellationToken);
    }

    /// <summary>A new account signed in on <paramref name="api"/>: its browser, holding the access and refresh cookies.</summary>
    public static async Task<SessionClient> SignedInAsync(TestApi api)
    {
        var browser = new SessionClient(api.Client);
        var email = $"u{Guid.NewGuid():N}@example.com";
        Assert.Equal(HttpStatusCode.Created, (await browser.SignupAsync(email, Password)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.LoginAsync(email, Password)).StatusCode);
        Assert.NotNull(browser.Access);
        return browser;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>
/// A resource server nobody here wrote: ASP.NET Core's JwtBearer handler, configured only with our issuer
/// as authority, the audience and RequireHttpsMetadata = false (plain http on loopback).
/// </summary>
internal sealed class BearerApi : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly HttpClient client;

    private BearerApi(WebApplication app, Uri address)
    {
        this.app = app;
        client = new HttpClient { BaseAddress = address };
    }

    public static async Task<BearerApi> StartAsync(string authority, string audience)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(TestApi.AnyLoopbackPort);
        builder.Logging.ClearProviders();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(options =>
        {
            options.Authority = authority;
            options.Audience = audience;
            options.RequireHttpsMetadata = false;
        });
        builder.Services.AddAuthorization();
        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/protected", (ClaimsPrincipal user) => user.FindFirstValue(ClaimTypes.NameIdentifier) ?? user.FindFirstValue("sub")).RequireAuthorization();
        return new BearerApi(app, await TestApi.StartAppAsync(app, TestContext.Current.CancellationToken));
    }

    /// <summary>The status of GET /protected with the token, and the subject it answered (on 200).</summary>
    public async Task<(HttpStatusCode Status, string Body)> CallAsync(string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/protected");
        request.Headers.Authorization = new("Bearer", token);
        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    public async ValueTask DisposeAsync()
    {
        client.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
