using Microsoft.Net.Http.Headers;

namespace Serverless.Auth.Tests.Infrastructure;

/// <summary>Reads the Set-Cookie headers of a response, so tests can assert every attribute.</summary>
public static class SetCookie
{
    public const string AccessName = "auth";
    public const string RefreshName = "refresh";

    /// <summary>The access-token cookie, asserting the response sets it exactly once.</summary>
    public static SetCookieHeaderValue Access(HttpResponseMessage response) => SetCookieHeaderValue.Parse(Raw(response, AccessName));

    /// <summary>The raw Set-Cookie line for one cookie name, asserting it is set exactly once.</summary>
    public static string Raw(HttpResponseMessage response, string name = AccessName)
    {
        Assert.True(response.Headers.TryGetValues("Set-Cookie", out var values), "response has no Set-Cookie header");
        return Assert.Single(values, v => v.StartsWith(name + "=", StringComparison.Ordinal));
    }

    /// <summary>The request Cookie header a browser would send back to the auth routes (every cookie set).</summary>
    public static string CookieHeader(HttpResponseMessage response) =>
        string.Join("; ", response.Headers.GetValues("Set-Cookie").Select(v => SetCookieHeaderValue.Parse(v)).Select(c => $"{c.Name}={c.Value}"));
}
