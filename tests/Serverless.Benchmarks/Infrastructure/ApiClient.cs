using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Serverless.Auth.Http;

namespace Serverless.Benchmarks.Infrastructure;

/// <summary>HTTP calls to one API instance; no cookie container: Cookie headers are sent explicitly.</summary>
internal sealed class ApiClient : IDisposable
{
    public const string CookieName = "auth";
    public const string RefreshCookieName = "refresh";
    /// <summary>The device cookie (Auth__Cookie__DeviceName): a refresh must come from the browser its session is bound to.</summary>
    public const string DeviceCookieName = "device";
    public const string Password = "violet-harbor-compass-7193";

    private readonly HttpClient http;

    public ApiClient(Uri baseAddress)
    {
        BaseAddress = baseAddress;
        http = new HttpClient(new SocketsHttpHandler
        {
            UseCookies = false,
            MaxConnectionsPerServer = int.MaxValue,
            ConnectTimeout = TimeSpan.FromSeconds(5),
        })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(60),
        };
    }

    public Uri BaseAddress { get; }

    public Task<HttpResponseMessage> SignupAsync(string email, string password = Password) => PostJsonAsync(AuthApi.Signup.Path, email, password);

    public Task<HttpResponseMessage> LoginAsync(string email, string password = Password) => PostJsonAsync(AuthApi.Login.Path, email, password);

    public Task<HttpResponseMessage> VerifyAsync(string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, AuthApi.Verify.Path);
        if (token is not null)
        {
            request.Headers.Add("Cookie", $"{CookieName}={token}");
        }

        return http.SendAsync(request);
    }

    public Task<HttpResponseMessage> LogoutAsync(string token, string? refreshToken = null) => PostWithCookiesAsync(AuthApi.Logout.Path, token, refreshToken);

    public Task<HttpResponseMessage> LogoutAllAsync(string token) => PostWithCookiesAsync(AuthApi.LogoutAll.Path, token, null);

    public Task<HttpResponseMessage> ForgotPasswordAsync(string email) =>
        http.PostAsync(new Uri(AuthApi.PasswordForgot.Path, UriKind.Relative), new StringContent(JsonSerializer.Serialize(new { email }), Encoding.UTF8, "application/json"));

    private Task<HttpResponseMessage> PostWithCookiesAsync(string path, string token, string? refreshToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path);
        request.Headers.Add("Cookie", refreshToken is null ? $"{CookieName}={token}" : $"{CookieName}={token}; {RefreshCookieName}={refreshToken}");
        return http.SendAsync(request);
    }

    /// <summary><c>POST /api/auth/refresh</c> with the refresh and device cookies, as a browser sends them (the cookies' Path is /api/auth).</summary>
    public Task<HttpResponseMessage> RefreshAsync(string refreshToken, string device)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, AuthApi.Refresh.Path);
        request.Headers.Add("Cookie", $"{RefreshCookieName}={refreshToken}; {DeviceCookieName}={device}");
        return http.SendAsync(request);
    }

    /// <summary>A JSON body <c>{"email": …}</c>: password/forgot and email/resend.</summary>
    public Task<HttpResponseMessage> PostEmailAsync(string path, string email) =>
        http.PostAsync(new Uri(path, UriKind.Relative), new StringContent(JsonSerializer.Serialize(new { email }), Encoding.UTF8, "application/json"));

    public Task<HttpResponseMessage> GetAsync(string path) => http.GetAsync(new Uri(path, UriKind.Relative));

    /// <summary>Runs a call, drains and disposes the response, returns status, elapsed ms and the auth and refresh cookies if set.</summary>
    public static async Task<Outcome> TimeAsync(Func<Task<HttpResponseMessage>> call)
    {
        var started = Stopwatch.GetTimestamp();
        using var response = await call();
        var body = await response.Content.ReadAsByteArrayAsync();
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        return new Outcome((int)response.StatusCode, elapsed, TokenFrom(response), response.Headers.RetryAfter is not null, body, TokenFrom(response, RefreshCookieName), TokenFrom(response, DeviceCookieName));
    }

    public static string? TokenFrom(HttpResponseMessage response, string cookieName = CookieName)
    {
        if (!response.Headers.TryGetValues("Set-Cookie", out var cookies))
        {
            return null;
        }

        foreach (var cookie in cookies)
        {
            var prefix = cookieName + "=";
            if (cookie.StartsWith(prefix, StringComparison.Ordinal))
            {
                var value = cookie[prefix.Length..].Split(';')[0];
                return value.Length > 0 ? value : null;
            }
        }

        return null;
    }

    /// <summary>Signs up and returns the token; throws (harness failure) unless 201.</summary>
    public async Task<string> SignupTokenAsync(string email) => (await SignupSessionAsync(email)).Token!;

    /// <summary>Signs up and returns the outcome with its cookies; throws (harness failure) unless 201 with access, refresh and device cookies.</summary>
    public async Task<Outcome> SignupSessionAsync(string email)
    {
        var outcome = await TimeAsync(() => SignupAsync(email));
        if (outcome.Status != (int)HttpStatusCode.Created || outcome.Token is null || outcome.Refresh is null || outcome.Device is null)
        {
            throw new InvalidOperationException($"signup of {email} at {BaseAddress} answered {outcome.Status}: {Encoding.UTF8.GetString(outcome.Body)}");
        }

        return outcome;
    }

    private Task<HttpResponseMessage> PostJsonAsync(string path, string email, string password)
    {
        var json = JsonSerializer.Serialize(new Dictionary<string, string> { ["email"] = email, ["password"] = password });
        return http.PostAsync(new Uri(path, UriKind.Relative), new StringContent(json, Encoding.UTF8, "application/json"));
    }

    public void Dispose() => http.Dispose();
}

internal sealed record Outcome(int Status, double Milliseconds, string? Token, bool HasRetryAfter, byte[] Body, string? Refresh, string? Device = null);
