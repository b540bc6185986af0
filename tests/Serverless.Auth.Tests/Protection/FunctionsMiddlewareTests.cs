using System.Collections.Immutable;
using System.Net;
using System.Reflection;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Auth.Functions;
using Serverless.Auth.Protection;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Protection;

/// <summary>
/// The Azure Functions worker middleware, driven as the worker drives it: a function context whose definition names
/// the method by entry point and assembly path, with the request's HttpContext in its items (as the ASP.NET Core
/// integration puts it there). The sample functions are the ones the Functions app builds (its Serverless.Functions.dll,
/// loaded by path as the worker loads it); sessions come from a running auth service on Azurite.
/// </summary>
public sealed class FunctionsMiddlewareTests(AzuriteFixture azurite)
{
    private const string Password = "copper-kettle-meadow-5183";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string FunctionsApp = Path.Combine(
        RepoPaths.Combine("functions", "Serverless.Functions", "bin"),
        typeof(FunctionsMiddlewareTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration,
        "net10.0", "linux-x64", "Serverless.Functions.dll");

    [Fact]
    public async Task TheSampleFunctionsRunOnlyForASessionAndOnlyFromAllowedOrigins()
    {
        var settings = azurite.Settings(s => s["Auth:Revocation:SyncIntervalMilliseconds"] = "200");
        await using var auth = await TestApi.StartAsync(settings, cancellationToken: Ct);
        await using var worker = await StartWorkerServicesAsync(settings);
        var browser = new SessionClient(auth.Client);
        var userId = await browser.SignUpForUserIdAsync(Emails.Unique("worker"), Password);
        var me = SampleFunction("Me");

        // No session: the scheme's 401 problem+json with the Bearer challenge; the function does not run.
        var anonymous = await worker.InvokeAsync(me, "GET", access: null);
        Assert.False(anonymous.Ran);
        Assert.Equal(StatusCodes.Status401Unauthorized, anonymous.Status);
        Assert.Equal("Bearer", anonymous.Headers.WWWAuthenticate.ToString());
        Assert.StartsWith("application/problem+json", anonymous.Headers.ContentType.ToString(), StringComparison.Ordinal);

        // A session: the function runs with the session's user.
        var signedIn = await worker.InvokeAsync(me, "GET", browser.Access);
        Assert.True(signedIn.Ran);
        Assert.Equal(userId, signedIn.User?.FindFirst(SessionAuthentication.SubjectClaim)?.Value);

        // The POST: a foreign origin is refused before anything else (403 origin_not_allowed), even with a session.
        var foreign = await worker.InvokeAsync(SampleFunction("AddMyNote"), "POST", browser.Access, origin: "https://evil.example");
        Assert.False(foreign.Ran);
        Assert.Equal(StatusCodes.Status403Forbidden, foreign.Status);
        Assert.Equal("origin_not_allowed", foreign.Problem?.GetProperty("code").GetString());
        Assert.True((await worker.InvokeAsync(SampleFunction("AddMyNote"), "POST", browser.Access, origin: TestApi.Frontend)).Ran);

        // Logged out on the auth service: the same token stops working here once the revocation list has synced.
        Assert.Equal(HttpStatusCode.NoContent, (await browser.LogoutAsync()).StatusCode);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        Invocation after;
        do
        {
            await Task.Delay(100, Ct);
            after = await worker.InvokeAsync(me, "GET", browser.Access ?? signedIn.Token);
        }
        while (after.Ran && DateTime.UtcNow < deadline);

        Assert.False(after.Ran);
        Assert.Equal(StatusCodes.Status401Unauthorized, after.Status);
    }

    [Fact]
    public async Task AttributesOnTheMethodAndItsClassDecide()
    {
        var settings = azurite.Settings();
        await using var auth = await TestApi.StartAsync(settings, cancellationToken: Ct);
        await using var worker = await StartWorkerServicesAsync(settings);
        var browser = new SessionClient(auth.Client);
        await browser.SignUpForUserIdAsync(Emails.Unique("attrs"), Password);

        // No [Authorize] anywhere: runs without a session (the middleware never authenticates it).
        Assert.True((await worker.InvokeAsync(LocalFunction<OpenFunctions>(nameof(OpenFunctions.Health)), "GET", access: null)).Ran);
        // [Authorize] on the class, [AllowAnonymous] on the method: anonymous wins.
        Assert.True((await worker.InvokeAsync(LocalFunction<OrderFunctions>(nameof(OrderFunctions.Status)), "GET", access: null)).Ran);
        Assert.False((await worker.InvokeAsync(LocalFunction<OrderFunctions>(nameof(OrderFunctions.MyOrders)), "GET", access: null)).Ran);
        // A policy on the method: the unconfirmed user is signed in but does not meet it (403 policy_not_met, not 401).
        var confirmed = await worker.InvokeAsync(LocalFunction<OrderFunctions>(nameof(OrderFunctions.Billing)), "GET", browser.Access);
        Assert.False(confirmed.Ran);
        Assert.Equal(StatusCodes.Status403Forbidden, confirmed.Status);
        Assert.Equal("policy_not_met", confirmed.Problem?.GetProperty("code").GetString());
        // A forged token (the right shape, a wrong signature) is no session.
        Assert.Equal(StatusCodes.Status401Unauthorized, (await worker.InvokeAsync(LocalFunction<OrderFunctions>(nameof(OrderFunctions.MyOrders)), "GET", browser.Access![..^4] + "AAAA")).Status);
        // A trigger that is not HTTP (no HttpContext) is never touched, whatever its attributes.
        Assert.True((await worker.InvokeAsync(LocalFunction<OrderFunctions>(nameof(OrderFunctions.MyOrders)), "GET", access: null, http: false)).Ran);
    }

    private static FakeDefinition SampleFunction(string method) =>
        new(method, FunctionsApp, "Serverless.Functions.Samples.SampleFunctions." + method);

    private static FakeDefinition LocalFunction<T>(string method) =>
        new(method, typeof(T).Assembly.Location, typeof(T).FullName + "." + method);

    private static async Task<WorkerServices> StartWorkerServicesAsync(Dictionary<string, string?> settings)
    {
        // The services a Functions app that only protects its functions has: AddSessionAuthentication, no mail.
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(settings
            .Where(s => !s.Key.StartsWith("Auth:Email:", StringComparison.Ordinal) && s.Key != "AUTH_EMAIL_QUEUE" && !s.Key.StartsWith("Auth:Secrets:", StringComparison.Ordinal))
            .ToDictionary(s => s.Key, s => s.Value));
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddSessionAuthentication();
        builder.Services.AddSingleton<SessionAuthorizationMiddleware>();
        var app = builder.Build();
        await TestApi.StartAppAsync(app, Ct);
        return new WorkerServices(app);
    }

    private sealed record Invocation(bool Ran, int Status, IHeaderDictionary Headers, JsonElement? Problem, ClaimsPrincipal? User, string? Token);

    private sealed class WorkerServices(WebApplication app) : IAsyncDisposable
    {
        /// <summary>The two middlewares in the order Program.cs registers them, then the function (which answers 200).</summary>
        public async Task<Invocation> InvokeAsync(FakeDefinition function, string method, string? access, string? origin = null, bool http = true)
        {
            // A scope per request, as the host gives each request (authentication handlers are per request).
            await using var scope = app.Services.CreateAsyncScope();
            var httpContext = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
            httpContext.Request.Method = method;
            httpContext.Request.Scheme = "http";
            httpContext.Request.Host = new HostString("127.0.0.1");
            httpContext.Response.Body = new MemoryStream();
            if (access is not null)
            {
                httpContext.Request.Headers.Cookie = "auth=" + access;
            }

            if (origin is not null)
            {
                httpContext.Request.Headers.Origin = origin;
            }

            var context = new FakeFunctionContext(function, app.Services);
            if (http)
            {
                context.Items["HttpRequestContext"] = httpContext;
            }

            var ran = false;
            var authorization = app.Services.GetRequiredService<SessionAuthorizationMiddleware>();
            await new AllowedOriginMiddleware().Invoke(context, _ => authorization.Invoke(context, _ =>
            {
                ran = true;
                httpContext.Response.StatusCode = StatusCodes.Status200OK;
                return Task.CompletedTask;
            }));

            httpContext.Response.Body.Position = 0;
            JsonElement? problem = httpContext.Response.Body.Length > 0 ? (await JsonDocument.ParseAsync(httpContext.Response.Body)).RootElement : null;
            return new Invocation(ran, httpContext.Response.StatusCode, httpContext.Response.Headers, problem, ran ? httpContext.User : null, access);
        }

        public ValueTask DisposeAsync() => app.DisposeAsync();
    }

    private sealed class FakeDefinition(string name, string pathToAssembly, string entryPoint) : FunctionDefinition
    {
        public override ImmutableArray<FunctionParameter> Parameters => [];

        public override string PathToAssembly => pathToAssembly;

        public override string EntryPoint => entryPoint;

        public override string Id => entryPoint;

        public override string Name => name;

        public override IImmutableDictionary<string, BindingMetadata> InputBindings => ImmutableDictionary<string, BindingMetadata>.Empty;

        public override IImmutableDictionary<string, BindingMetadata> OutputBindings => ImmutableDictionary<string, BindingMetadata>.Empty;
    }

    private sealed class FakeFunctionContext(FunctionDefinition definition, IServiceProvider services) : FunctionContext
    {
        public override string InvocationId { get; } = Guid.NewGuid().ToString();

        public override string FunctionId => definition.Id;

        public override TraceContext TraceContext => throw new NotSupportedException();

        public override BindingContext BindingContext => throw new NotSupportedException();

        public override RetryContext RetryContext => throw new NotSupportedException();

        public override IServiceProvider InstanceServices { get; set; } = services;

        public override FunctionDefinition FunctionDefinition => definition;

        public override IDictionary<object, object> Items { get; set; } = new Dictionary<object, object>();

        public override IInvocationFeatures Features => throw new NotSupportedException();
    }
}

/// <summary>Functions with no attributes.</summary>
public sealed class OpenFunctions
{
    public static string Health() => "ok";
}

/// <summary>[Authorize] on the class; one method asks for a policy, one opts out (docs/library.md, "Protect your own endpoints").</summary>
[Authorize]
public sealed class OrderFunctions
{
    [Function("MyOrders")]
    public static IResult MyOrders([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "me/orders")] HttpRequest request) =>
        TypedResults.Ok(request.HttpContext.User.FindFirst(SessionAuthentication.SubjectClaim)!.Value);

    [Function("Billing"), Authorize(Policy = SessionAuthentication.ConfirmedEmailPolicy)]
    public static IResult Billing([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "me/billing")] HttpRequest request) =>
        TypedResults.Ok();

    [AllowAnonymous]
    public static string Status() => "up";

    // An overload that is no function must not confuse the middleware: the [Function] one decides.
    [AllowAnonymous]
    public static IResult MyOrders(string userId) => TypedResults.Ok(userId);
}
