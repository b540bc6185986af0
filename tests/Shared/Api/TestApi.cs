using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Auth.Http;
using Serverless.Standalone;

namespace Serverless.Testing;

/// <summary>
/// Serverless.Standalone in this process, as the HTTP tests, the browser tests and the benchmarks run it:
/// the settings of an instance of its own, the started app and the address Kestrel bound, and an
/// <see cref="HttpClient"/> with helpers for the four endpoints. (Compiled only into projects that reference
/// Serverless.Standalone; each supplies <see cref="RequestCancellation"/>.)
/// </summary>
public sealed partial class TestApi : IAsyncDisposable
{
    /// <summary>Loopback on a port Kestrel picks: used when the settings name no <c>urls</c>.</summary>
    public const string AnyLoopbackPort = "http://127.0.0.1:0";

    /// <summary>The local frontend origin the default settings allow (CORS with credentials and the CSRF guard).</summary>
    public const string Frontend = "http://localhost:5173";

    private TestApi(WebApplication app, Uri baseAddress, IReadOnlyDictionary<string, string?> settings)
    {
        App = app;
        BaseAddress = baseAddress;
        Settings = settings;
        // No cookie container: tests read Set-Cookie and send Cookie headers explicitly.
        // Redirects not followed either: a social sign-in's start and callback are 302s the tests read.
        Client = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = baseAddress };
    }

    public WebApplication App { get; }

    /// <summary>The address Kestrel bound (the real port when <c>urls</c> asked for port 0).</summary>
    public Uri BaseAddress { get; }

    /// <summary><see cref="BaseAddress"/> without the trailing slash: <c>http://host:port</c>.</summary>
    public string BaseUrl => BaseAddress.GetLeftPart(UriPartial.Authority);

    public HttpClient Client { get; }

    /// <summary>The configuration overrides the app was built with.</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; }

    /// <summary>The token for requests made by the helpers: the current test's, where there is a test framework.</summary>
    private static partial CancellationToken RequestCancellation { get; }

    public static string NewSigningKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>One server key for every instance this process starts: instances sharing tables must derive the same refresh successors.</summary>
    public static string ProcessServerKey { get; } = NewSigningKey();

    /// <summary>
    /// Tables of its own on the given storage (named with <paramref name="tableSuffix"/>, random when null), a
    /// fresh signing key unless one is shared, a plain-http Lax cookie, <see cref="Frontend"/> allowed by CORS
    /// and the CSRF guard, and rate limits high enough that many requests from one address are not throttled
    /// (the tests that check limits lower them).
    /// </summary>
    public static Dictionary<string, string?> DefaultSettings(string connectionString, string? tableSuffix = null, string? signingKey = null, string? serverKey = null)
    {
        var suffix = tableSuffix ?? Guid.NewGuid().ToString("N")[..10];
        return new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Warning",
            ["Auth:Storage:ConnectionString"] = connectionString,
            ["Auth:Storage:UsersTable"] = "Users" + suffix,
            ["Auth:Storage:RevocationsTable"] = "Revoked" + suffix,
            ["Auth:Storage:LoginThrottleTable"] = "Throttle" + suffix,
            ["Auth:Storage:SessionsTable"] = "Sessions" + suffix,
            ["Auth:Storage:MailTokensTable"] = "MailTokens" + suffix,
            ["Auth:Storage:MailQuotasTable"] = "MailQuotas" + suffix,
            ["Auth:Storage:UserEventsTable"] = "UserEvents" + suffix,
            ["Auth:Storage:FleetEventsTable"] = "FleetEvents" + suffix,
            ["AUTH_EMAIL_QUEUE"] = "mail-" + suffix.ToLowerInvariant(),
            ["Auth:Jwt:Issuer"] = "https://api.test",
            ["Auth:Jwt:Audience"] = "https://app.test",
            ["Auth:Jwt:SigningKey"] = signingKey ?? NewSigningKey(),
            ["Auth:Secrets:ServerKey"] = serverKey ?? ProcessServerKey,
            ["Auth:Cookie:Secure"] = "false",
            ["Auth:Cookie:SameSite"] = "Lax",
            ["Auth:AllowedOrigins"] = Frontend,
            ["Host:CORS"] = Frontend,
            ["Host:CORSCredentials"] = "true",
            ["Auth:Throttling:LoginPerMinute"] = "100000",
            ["Auth:Throttling:SignupPerMinute"] = "100000",
            ["Auth:Throttling:RefreshPerMinute"] = "100000",
            ["Auth:Throttling:EmailPerMinute"] = "100000",
            // Nothing listens on port 9 (discard): mail fails and is retried unless a test points this at its maildev.
            ["Auth:Email:SmtpHost"] = "127.0.0.1",
            ["Auth:Email:SmtpPort"] = "9",
            ["Auth:Email:UseTls"] = "None",
            ["Auth:Email:From"] = "Test Auth <no-reply@app.test>",
            ["Auth:Email:LinkBaseUrl"] = Frontend + "/auth",
            // The frontend's host is the RP id: passkey ceremonies run on it.
            ["Auth:Passkeys:RpId"] = "localhost",
        };
    }

    /// <summary>
    /// Builds the app from <paramref name="settings"/> (on <see cref="AnyLoopbackPort"/> unless they name
    /// <c>urls</c>), lets <paramref name="map"/> add endpoints, and starts it. When start-up fails (an invalid
    /// setting, a port taken) the app is disposed and the exception propagates.
    /// </summary>
    public static async Task<TestApi> StartAsync(
        IReadOnlyDictionary<string, string?> settings,
        Action<WebApplicationBuilder>? configure = null,
        Action<WebApplication>? map = null,
        CancellationToken cancellationToken = default)
    {
        if (!settings.ContainsKey("urls"))
        {
            settings = new Dictionary<string, string?>(settings) { ["urls"] = AnyLoopbackPort };
        }

        var app = StandaloneApp.Build([], settings, configure);
        try
        {
            map?.Invoke(app);
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return new TestApi(app, BoundAddress(app), settings);
    }

    /// <summary>Starts another in-process app (a stand-in proxy or worker) and returns the address Kestrel bound.</summary>
    public static async Task<Uri> StartAppAsync(WebApplication app, CancellationToken cancellationToken = default)
    {
        await app.StartAsync(cancellationToken);
        return BoundAddress(app);
    }

    private static Uri BoundAddress(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    public T Service<T>() where T : notnull => App.Services.GetRequiredService<T>();

    public Task<HttpResponseMessage> SignupAsync(string email, string password) =>
        Client.PostAsJsonAsync(AuthApi.Signup.Path, new { email, password }, RequestCancellation);

    public Task<HttpResponseMessage> LoginAsync(string email, string password) =>
        Client.PostAsJsonAsync(AuthApi.Login.Path, new { email, password }, RequestCancellation);

    public Task<HttpResponseMessage> VerifyAsync(string? cookieHeader = null, string? bearer = null) =>
        SendAsync(HttpMethod.Get, AuthApi.Verify.Path, cookieHeader, bearer);

    public Task<HttpResponseMessage> LogoutAsync(string? cookieHeader = null, string? bearer = null) =>
        SendAsync(HttpMethod.Post, AuthApi.Logout.Path, cookieHeader, bearer);

    /// <summary>Sends a request built by the caller (extra headers, raw bodies) with the current test's token.</summary>
    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request) => Client.SendAsync(request, RequestCancellation);

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? cookieHeader, string? bearer)
    {
        var request = new HttpRequestMessage(method, path);
        if (cookieHeader is not null)
        {
            request.Headers.Add("Cookie", cookieHeader);
        }

        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
