using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Serverless.Auth.Http;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Throttling;
using Serverless.Testing;
using Yarp.ReverseProxy.Forwarder;

namespace Serverless.Auth.Tests.Throttling;

/// <summary>
/// Per-client limits behind the forwarder the Functions host uses: Yarp's IHttpForwarder with its
/// default transformer, called the way the host calls it, in front of Standalone configured like the
/// worker (X-Forwarded-* from the proxy, one hop). Clients differ by loopback source address.
/// </summary>
public sealed class ForwardedClientTests(AzuriteFixture azurite)
{
    private const string Password = "juniper-canyon-meadow-5512";
    private const int LoginsPerMinute = 3;
    private static readonly IPAddress ClientA = IPAddress.Parse("127.0.0.2");
    private static readonly IPAddress ClientB = IPAddress.Parse("127.0.0.3");

    [Fact]
    public async Task TwoClientsBehindTheProxyGetTwoBuckets()
    {
        await using var api = await StartApiAsync();
        await using var proxy = await HostLikeProxy.StartAsync(api.BaseAddress);
        using var a = ClientFrom(ClientA, proxy.BaseAddress);
        using var b = ClientFrom(ClientB, proxy.BaseAddress);

        await SpendLoginBudgetAsync(a);
        await AssertLimitedAsync(await LoginAsync(a));

        Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(b)).StatusCode);
    }

    [Fact]
    public async Task ClientSentForwardedForDoesNotLeaveTheBucket()
    {
        await using var api = await StartApiAsync();
        await using var proxy = await HostLikeProxy.StartAsync(api.BaseAddress);
        using var a = ClientFrom(ClientA, proxy.BaseAddress);

        // A fresh claimed address on every attempt, alone, as a chain, and as client B's address.
        string[] claims = ["198.51.100.1", "198.51.100.2, 203.0.113.9", "127.0.0.3", "[2001:db8::7]:443"];
        for (var i = 0; i < LoginsPerMinute; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(a, forwardedFor: claims[i])).StatusCode);
        }

        await AssertLimitedAsync(await LoginAsync(a, forwardedFor: claims[^1]));
        // Client B was not charged for the claims of its address.
        using var b = ClientFrom(ClientB, proxy.BaseAddress);
        Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(b)).StatusCode);
    }

    [Fact]
    public async Task DirectRequestsBypassingTheProxyCannotClaimAnotherAddress()
    {
        await using var api = await StartApiAsync();
        await using var proxy = await HostLikeProxy.StartAsync(api.BaseAddress);
        using var aViaProxy = ClientFrom(ClientA, proxy.BaseAddress);
        using var bDirect = ClientFrom(ClientB, api.BaseAddress);
        using var bViaProxy = ClientFrom(ClientB, proxy.BaseAddress);

        await SpendLoginBudgetAsync(aViaProxy);
        // B, straight to the app, says it is A (whose bucket is empty) or someone new: it is B.
        Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(bDirect, forwardedFor: "127.0.0.2")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(bDirect, forwardedFor: "198.51.100.50")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(bDirect, forwardedFor: "198.51.100.51")).StatusCode);
        await AssertLimitedAsync(await LoginAsync(bDirect, forwardedFor: "198.51.100.52"));
        // The same bucket whichever way B comes in.
        await AssertLimitedAsync(await LoginAsync(bViaProxy));
    }

    [Fact]
    public async Task TheWorkerSeesTheHostsPeerAsTheClientWhateverTheClientSent()
    {
        // A stand-in worker: the worker's own forwarded-headers setup (ASP.NET Core defaults: loopback
        // known, one hop) applied to what the host-like forwarder sends it.
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.Configure<ForwardedHeadersOptions>(o => o.ForwardedHeaders = Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.All);
        await using var worker = builder.Build();
        worker.UseForwardedHeaders();
        worker.Run(context => context.Response.WriteAsJsonAsync(new Dictionary<string, string?>
        {
            ["remote"] = context.Connection.RemoteIpAddress?.ToString(),
            ["forwardedFor"] = context.Request.Headers["X-Forwarded-For"].ToString(),
            ["originalFor"] = context.Request.Headers["X-Original-For"].ToString(),
        }));
        var workerAddress = await TestApi.StartAppAsync(worker, TestContext.Current.CancellationToken);
        await using var proxy = await HostLikeProxy.StartAsync(workerAddress);
        using var a = ClientFrom(ClientA, proxy.BaseAddress);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Add("X-Forwarded-For", "198.51.100.1, 203.0.113.9");
        using var response = await a.SendAsync(request, TestContext.Current.CancellationToken);
        var seen = await response.Content.ReadFromJsonAsync<Dictionary<string, string>>(TestContext.Current.CancellationToken);

        Assert.Equal("127.0.0.2", seen!["remote"]);
        // The forwarder replaced the client's header with the one address it saw; the middleware consumed it.
        Assert.Equal("", seen["forwardedFor"]);
        Assert.StartsWith("127.0.0.1:", seen["originalFor"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2001:db8:1:2::5", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:3::5", "2001:db8:1:3::/64")]
    [InlineData("::ffff:203.0.113.5", "203.0.113.5")]
    [InlineData("203.0.113.5", "203.0.113.5")]
    public void IPv6ClientsShareABucketPer64AndMappedIPv4IsIPv4(string remote, string key)
    {
        using var limiter = new ClientRateLimiter(Options.Create(new ThrottlingOptions()));
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(remote);

        Assert.Equal(key, limiter.ClientAddress(context));
    }

    [Fact]
    public void ATrustedProxysForwardedIPv6ClientIsKeyedPer64()
    {
        using var limiter = new ClientRateLimiter(Options.Create(new ThrottlingOptions { TrustedProxies = "10.0.0.0/8" }));
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse("10.1.2.3");
        context.Request.Headers["X-Forwarded-For"] = "198.51.100.1, [2001:db8:aa:bb:1:2:3:4]:5000";

        Assert.Equal("2001:db8:aa:bb::/64", limiter.ClientAddress(context));
    }

    private Task<TestApi> StartApiAsync() => azurite.StartApiAsync(s =>
    {
        s["Auth:Throttling:LoginPerMinute"] = LoginsPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture);
        // The address the forwarder connects from, exactly (the worker trusts all of loopback; only its host can reach it).
        s["Standalone:ForwardedHeadersProxies"] = "127.0.0.1";
    });

    private static async Task SpendLoginBudgetAsync(HttpClient client)
    {
        for (var i = 0; i < LoginsPerMinute; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(client)).StatusCode);
        }
    }

    private static async Task AssertLimitedAsync(HttpResponseMessage response)
    {
        var problem = await ResponseAssert.ProblemAsync(response, HttpStatusCode.TooManyRequests);
        Assert.Contains("this address", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    // A new unknown email each time: the per-account backoff never applies, only the client's bucket.
    private static Task<HttpResponseMessage> LoginAsync(HttpClient client, string? forwardedFor = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, AuthApi.Login.Path)
        {
            Content = JsonContent.Create(new { email = $"{Guid.NewGuid():N}@example.com", password = Password }),
        };
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }

        return client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary>An HttpClient whose connections leave from <paramref name="source"/> (a loopback address).</summary>
    private static HttpClient ClientFrom(IPAddress source, Uri baseAddress) => new(new SocketsHttpHandler
    {
        UseCookies = false,
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(source, 0));
                await socket.ConnectAsync(IPAddress.Parse(context.DnsEndPoint.Host), context.DnsEndPoint.Port, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    { BaseAddress = baseAddress };

    /// <summary>
    /// The Functions host's proxying to the worker, rebuilt on Yarp: IHttpForwarder.SendAsync with a
    /// ForwarderRequestConfig (240 s activity timeout) and no transformer, which means
    /// HttpTransformer.Default (X-Forwarded-For/-Proto/-Host/-Prefix set, replacing what came in);
    /// a SocketsHttpHandler without redirects or cookies.
    /// </summary>
    private sealed class HostLikeProxy : IAsyncDisposable
    {
        private readonly WebApplication app;
        private readonly HttpMessageInvoker invoker;

        private HostLikeProxy(WebApplication app, HttpMessageInvoker invoker, Uri baseAddress)
        {
            this.app = app;
            this.invoker = invoker;
            BaseAddress = baseAddress;
        }

        public Uri BaseAddress { get; }

        public static async Task<HostLikeProxy> StartAsync(Uri destination)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Services.AddHttpForwarder();
            var app = builder.Build();
            var invoker = new HttpMessageInvoker(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });
            var config = new ForwarderRequestConfig { ActivityTimeout = TimeSpan.FromSeconds(240) };
            var forwarder = app.Services.GetRequiredService<IHttpForwarder>();
            app.Run(async context =>
            {
                var error = await forwarder.SendAsync(context, destination.ToString(), invoker, config);
                if (error != ForwarderError.None)
                {
                    throw new InvalidOperationException($"Forwarding failed: {error}", context.GetForwarderErrorFeature()?.Exception);
                }
            });
            return new HostLikeProxy(app, invoker, await TestApi.StartAppAsync(app, TestContext.Current.CancellationToken));
        }

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
            invoker.Dispose();
        }
    }
}
