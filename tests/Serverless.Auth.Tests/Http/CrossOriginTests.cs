using System.Net;
using System.Net.Http.Json;
using Serverless.Auth.Http;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Http;

/// <summary>CORS for credentialed frontends, and the CSRF guard on state-changing endpoints.</summary>
public sealed class CrossOriginTests(SharedApi shared) : IClassFixture<SharedApi>
{
    private const string Allowed = TestApi.Frontend;
    private const string Foreign = "https://evil.example";
    private const string Password = "plum-orchard-lantern-4821";
    private readonly TestApi api = shared.Api;

    private Task<HttpResponseMessage> PreflightAsync(string origin, string path = "/api/auth/login")
    {
        var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "content-type");
        return api.SendAsync(request);
    }

    private Task<HttpResponseMessage> PostWithHeadersAsync(string path, object body, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        foreach (var (name, value) in headers)
        {
            request.Headers.Add(name, value);
        }

        return api.SendAsync(request);
    }

    [Fact]
    public async Task PreflightFromAnAllowedOriginAllowsCredentials()
    {
        var response = await PreflightAsync(Allowed);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(Allowed, Assert.Single(response.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.Equal("true", Assert.Single(response.Headers.GetValues("Access-Control-Allow-Credentials")));
        Assert.Contains("POST", response.Headers.GetValues("Access-Control-Allow-Methods").Single(), StringComparison.Ordinal);
        Assert.Contains("Content-Type", response.Headers.GetValues("Access-Control-Allow-Headers").Single(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ResponsesToAnAllowedOriginCarryCorsCredentialHeaders()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, AuthApi.Verify.Path);
        request.Headers.Add("Origin", Allowed);

        var response = await api.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(Allowed, Assert.Single(response.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.Equal("true", Assert.Single(response.Headers.GetValues("Access-Control-Allow-Credentials")));
    }

    [Fact]
    public async Task ForeignOriginGetsNoCorsHeaders()
    {
        var preflight = await PreflightAsync(Foreign);
        Assert.False(preflight.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.False(preflight.Headers.Contains("Access-Control-Allow-Credentials"));

        var request = new HttpRequestMessage(HttpMethod.Get, AuthApi.Verify.Path);
        request.Headers.Add("Origin", Foreign);
        var response = await api.SendAsync(request);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Theory]
    [InlineData("/api/auth/signup")]
    [InlineData("/api/auth/login")]
    [InlineData("/api/auth/logout")]
    public async Task StateChangingRequestFromAForeignOriginIsForbidden(string path)
    {
        var response = await PostWithHeadersAsync(path, new { email = Emails.Unique("csrf"), password = Password }, ("Origin", Foreign));

        var problem = await ResponseAssert.ProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Contains(Foreign, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    [Theory]
    [InlineData("null")]
    [InlineData("http://localhost:5174")]
    [InlineData("http://localhost:5173.evil.example")]
    public async Task LookalikeAndOpaqueOriginsAreForbidden(string origin)
    {
        var response = await PostWithHeadersAsync(AuthApi.Login.Path, new { email = Emails.Unique("x"), password = Password }, ("Origin", origin));
        await ResponseAssert.ProblemAsync(response, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task CrossSiteFetchMetadataWithoutOriginIsForbidden()
    {
        var response = await PostWithHeadersAsync(AuthApi.Login.Path, new { email = Emails.Unique("x"), password = Password }, ("Sec-Fetch-Site", "cross-site"));
        await ResponseAssert.ProblemAsync(response, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task AllowedOriginAndNonBrowserClientsPass()
    {
        var email = Emails.Unique("frontend");
        var fromFrontend = await PostWithHeadersAsync(AuthApi.Signup.Path, new { email, password = Password }, ("Origin", Allowed), ("Sec-Fetch-Site", "same-site"));
        Assert.Equal(HttpStatusCode.Created, fromFrontend.StatusCode);

        var fromCurl = await PostWithHeadersAsync(AuthApi.Login.Path, new { email, password = Password });
        Assert.Equal(HttpStatusCode.OK, fromCurl.StatusCode);

        var sameOrigin = await PostWithHeadersAsync(AuthApi.Logout.Path, new { }, ("Origin", api.BaseUrl), ("Sec-Fetch-Site", "same-origin"));
        Assert.Equal(HttpStatusCode.NoContent, sameOrigin.StatusCode);
    }
}
