using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Serverless.Auth.Http;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Testing;
using Yarp.ReverseProxy.Forwarder;

namespace Serverless.Auth.Tests.Resilience;

/// <summary>
/// Storage that refuses the app for a while, as Azure does while a new role assignment propagates (403
/// AuthorizationPermissionMismatch): the Standalone process stays up (no background loop lets the exception out
/// and stops the host), verify fails closed meanwhile, and once storage answers again the process serves, syncs
/// revocations and sends mail without a restart.
/// </summary>
public sealed class StorageRefusalTests
{
    private const string Password = "lighthouse-quarry-ember-6604";
    private static readonly TimeSpan Refusing = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task TheProcessStaysUpThroughFifteenSecondsOf403AndServesAgain()
    {
        await using var azurite = await AzuriteProcess.StartNewAsync();
        await using var proxy = await RefusingStorage.StartAsync(azurite);
        await using var maildev = await MaildevProcess.StartNewAsync();
        var settings = TestApi.DefaultSettings(proxy.ConnectionString);
        settings["Logging:LogLevel:Default"] = "Warning";
        settings["Auth:Storage:TimeoutSeconds"] = "2";
        settings["Auth:Storage:MaxRetries"] = "0";
        settings["Auth:Revocation:SyncIntervalMilliseconds"] = "500";
        settings["Auth:Revocation:StaleAfterMilliseconds"] = "1000";
        settings["Auth:Email:SmtpPort"] = maildev.SmtpPort.ToString(CultureInfo.InvariantCulture);
        settings["AzureFunctionsJobHost:extensions:queues:maxPollingInterval"] = "00:00:00.5";
        await using var host = await HostProcess.StartStandaloneAsync(settings);
        using var client = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = host.BaseAddress };
        var before = await client.PostAsJsonAsync(AuthApi.Signup.Path, new { email = "before@example.com", password = Password }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Created, before.StatusCode);
        var session = SetCookie.CookieHeader(before);

        proxy.Refuse = true;
        var refusedUntil = DateTime.UtcNow + Refusing;
        // Once the revocation list is stale, verify asks storage, which refuses: fail closed, 503, never a stale 200.
        HttpResponseMessage verify;
        while ((verify = await VerifyAsync(client, session)).StatusCode == HttpStatusCode.OK && DateTime.UtcNow < refusedUntil)
        {
            await Task.Delay(250, TestContext.Current.CancellationToken);
        }

        await ResponseAssert.ProblemAsync(verify, HttpStatusCode.ServiceUnavailable);
        while (DateTime.UtcNow < refusedUntil)
        {
            Assert.False(host.HasExited, "the process stopped while storage refused it:\n" + host.Output);
            await Task.Delay(250, TestContext.Current.CancellationToken);
        }

        Assert.False(host.HasExited, "the process stopped while storage refused it:\n" + host.Output);
        proxy.Refuse = false;

        var login = await client.PostAsJsonAsync(AuthApi.Login.Path, new { email = "before@example.com", password = Password }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await VerifyAsync(client, session)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(client, HttpMethod.Post, AuthApi.Logout.Path, session)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await VerifyAsync(client, session)).StatusCode);
        var after = await client.PostAsJsonAsync(AuthApi.Signup.Path, new { email = "after@example.com", password = Password }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Created, after.StatusCode);
        // The mail sender kept polling through the refusals and sends again.
        Assert.Single(await maildev.WaitForEmailsAsync("after@example.com", cancellationToken: TestContext.Current.CancellationToken));
        Assert.False(host.HasExited, host.Output);
        Assert.True(host.Output.Contains("Revocation sync failed (RequestFailedException 403 AuthorizationPermissionMismatch)", StringComparison.Ordinal), host.Output);
    }

    private static Task<HttpResponseMessage> VerifyAsync(HttpClient client, string session) => SendAsync(client, HttpMethod.Get, AuthApi.Verify.Path, session);

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, string session)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("Cookie", session);
        return client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary>
    /// Between the app and Azurite's table and queue services (one port each): forwards every request unchanged
    /// (Yarp's forwarder, no transforms, so shared-key signatures still match) or, while <see cref="Refuse"/>
    /// is set, answers 403 with the error code Azure Storage gives an identity that lacks its data role.
    /// </summary>
    private sealed class RefusingStorage : IAsyncDisposable
    {
        private const string Forbidden = "AuthorizationPermissionMismatch";
        private readonly WebApplication app;
        private readonly HttpMessageInvoker invoker = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, UseProxy = false });

        private RefusingStorage(WebApplication app, string connectionString)
        {
            this.app = app;
            ConnectionString = connectionString;
        }

        public volatile bool Refuse;

        public string ConnectionString { get; }

        public static async Task<RefusingStorage> StartAsync(AzuriteProcess azurite)
        {
            var (tablePort, queuePort) = (LocalPorts.FreeTcpPort(), LocalPorts.FreeTcpPort());
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls($"http://127.0.0.1:{tablePort}", $"http://127.0.0.1:{queuePort}");
            builder.Logging.ClearProviders();
            builder.Services.AddHttpForwarder();
            var app = builder.Build();
            var proxy = new RefusingStorage(app, azurite.ConnectionString
                .Replace($":{azurite.Port}/", $":{tablePort}/", StringComparison.Ordinal)
                .Replace($":{azurite.QueuePort}/", $":{queuePort}/", StringComparison.Ordinal));
            var forwarder = app.Services.GetRequiredService<IHttpForwarder>();
            app.Run(async context =>
            {
                var tables = context.Connection.LocalPort == tablePort;
                if (proxy.Refuse)
                {
                    // The answer each service gives (its body carries the error code the SDK reads).
                    context.Response.StatusCode = StatusCodes.Status403Forbidden;
                    context.Response.Headers["x-ms-error-code"] = Forbidden;
                    await (tables
                        ? context.Response.WriteAsJsonAsync(new Dictionary<string, object> { ["odata.error"] = new { code = Forbidden, message = new { lang = "en-US", value = "This request is not authorized to perform this operation using this permission." } } })
                        : context.Response.WriteAsync($"<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{Forbidden}</Code><Message>This request is not authorized to perform this operation using this permission.</Message></Error>"));
                    return;
                }

                var destination = $"http://127.0.0.1:{(tables ? azurite.Port : azurite.QueuePort)}";
                await forwarder.SendAsync(context, destination, proxy.invoker, ForwarderRequestConfig.Empty, RawTarget.Instance);
            });
            await app.StartAsync(TestContext.Current.CancellationToken);
            return proxy;
        }

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
            invoker.Dispose();
        }

        /// <summary>The request target exactly as the app sent it: the shared-key signature covers its escaping (':' in a row key).</summary>
        private sealed class RawTarget : HttpTransformer
        {
            public static readonly RawTarget Instance = new();

            public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
            {
                await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
                proxyRequest.RequestUri = new Uri(destinationPrefix + httpContext.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget);
            }
        }
    }
}
