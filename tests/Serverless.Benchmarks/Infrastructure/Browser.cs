using System.Net.Http.Json;

namespace Serverless.Benchmarks.Infrastructure;

/// <summary>
/// One browser on one kept-alive connection: JSON posts with the cookies the answers set (all paths: the auth routes
/// share the mount; an answer that sets a cookie empty removes it). No Origin header unless one is given, as curl sends
/// (the CSRF guard lets a request with neither Origin nor Sec-Fetch-Site through). Redirects are answers, not followed.
/// </summary>
internal sealed class Browser(Uri baseAddress) : IDisposable
{
    private readonly HttpClient http = new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = baseAddress };
    private readonly Dictionary<string, string> jar = [];

    /// <summary>A POST with <paramref name="body"/> as JSON, or with no body when it is null.</summary>
    public Task<HttpResponseMessage> PostAsync(string path, object? body = null, string? origin = null) => SendAsync(HttpMethod.Post, path, body, origin);

    /// <summary>A request with the cookies held (a GET of a redirect's path and query, say), keeping the cookies its answer sets.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body = null, string? origin = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        if (jar.Count > 0)
        {
            request.Headers.Add("Cookie", string.Join("; ", jar.Select(c => $"{c.Key}={c.Value}")));
        }

        var response = await http.SendAsync(request);
        foreach (var header in response.Headers.TryGetValues("Set-Cookie", out var values) ? values : [])
        {
            var pair = header.Split(';')[0].Split('=', 2);
            if (pair[1].Length == 0)
            {
                jar.Remove(pair[0]);
            }
            else
            {
                jar[pair[0]] = pair[1];
            }
        }

        return response;
    }

    public Task<HttpResponseMessage> GetAsync(string path) => http.GetAsync(new Uri(path, UriKind.Relative));

    /// <summary>Whether the browser holds the cookie <paramref name="name"/>.</summary>
    public bool Holds(string name) => jar.ContainsKey(name);

    /// <summary>The value of the cookie <paramref name="name"/> the browser holds, or null.</summary>
    public string? CookieValue(string name) => jar.GetValueOrDefault(name);

    public void Dispose() => http.Dispose();
}
