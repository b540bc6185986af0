using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Auth.Http;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Http;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Http;

/// <summary>Every status the standalone host can answer is RFC 9457 problem+json, including the ones no handler writes.</summary>
public sealed class ProblemResponseTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string FaultHeader = "X-Test-Fault";
    private TestApi api = null!;

    public async ValueTask InitializeAsync()
    {
        var settings = TestApi.DefaultSettings(azurite.ConnectionString);
        // A clock that fails unexpectedly inside a request carrying the fault header: a bug the host must not leak.
        api = await TestApi.StartAsync(settings, builder =>
        {
            builder.Services.AddHttpContextAccessor();
            builder.Services.AddSingleton<TimeProvider>(sp => new FaultyClock(sp.GetRequiredService<IHttpContextAccessor>()));
        });
    }

    public ValueTask DisposeAsync() => api.DisposeAsync();

    [Theory]
    [InlineData("/")]
    [InlineData("/api/auth/nope")]
    [InlineData("/api/auth/verify/extra")]
    public async Task UnknownRouteIsNotFoundProblem(string path)
    {
        var response = await api.Client.GetAsync(path, TestContext.Current.CancellationToken);

        var problem = await ResponseAssert.ProblemAsync(response, HttpStatusCode.NotFound);
        Assert.Equal("Not Found", problem.GetProperty("title").GetString());
    }

    [Theory]
    [InlineData("DELETE", "/api/auth/login", "POST")]
    [InlineData("GET", "/api/auth/signup", "POST")]
    [InlineData("POST", "/api/auth/verify", "GET")]
    [InlineData("PUT", "/api/auth/logout", "POST")]
    public async Task WrongMethodIsMethodNotAllowedProblemWithAllow(string method, string path, string allowed)
    {
        var response = await api.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path), TestContext.Current.CancellationToken);

        var problem = await ResponseAssert.ProblemAsync(response, HttpStatusCode.MethodNotAllowed);
        Assert.Equal("Method Not Allowed", problem.GetProperty("title").GetString());
        Assert.Equal([allowed], response.Content.Headers.Allow);
    }

    [Fact]
    public async Task UnexpectedFailureIsInternalErrorProblemWithoutInternals()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, AuthApi.Signup.Path)
        {
            Content = JsonContent.Create(new { email = "explodes@example.com", password = "plum-orchard-lantern-4821" }),
        };
        request.Headers.Add(FaultHeader, "1");
        var response = await api.Client.SendAsync(request, TestContext.Current.CancellationToken);

        var problem = await ResponseAssert.ProblemAsync(response, HttpStatusCode.InternalServerError);
        var body = problem.GetRawText();
        Assert.DoesNotContain(FaultyClock.Message, body, StringComparison.Ordinal);
        Assert.DoesNotContain("at Serverless", body, StringComparison.Ordinal);
        Assert.DoesNotContain("exception", body, StringComparison.OrdinalIgnoreCase);

        // The host is still healthy afterwards.
        Assert.Equal(HttpStatusCode.Created, (await api.SignupAsync("after-explosion@example.com", "plum-orchard-lantern-4821")).StatusCode);
    }

    private sealed class FaultyClock(IHttpContextAccessor accessor) : TimeProvider
    {
        public const string Message = "secret internal detail 7f3a";

        public override DateTimeOffset GetUtcNow() =>
            accessor.HttpContext?.Request.Headers.ContainsKey(FaultHeader) == true
                ? throw new InvalidOperationException(Message)
                : base.GetUtcNow();
    }
}
