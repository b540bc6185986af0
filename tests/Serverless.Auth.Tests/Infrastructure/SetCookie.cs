using Microsoft.Net.Http.Headers;

namespace Serverless.Auth.Tests.Infrastructure;

/// <summary>Reads the Set-Cookie headers of a response, so tests can assert every attribute.</summary>
public static class SetCookie
{
    public static SetCookieHeaderValue Only(HttpResponseMessage response)
    {
        Assert.True(response.Headers.TryGetValues("Set-Cookie", out var values), "response has no Set-Cookie header");
        var list = values.ToList();
        Assert.Single(list);
        return SetCookieHeaderValue.Parse(list[0]);
    }

    public static string Raw(HttpResponseMessage response) =>
        Assert.Single(response.Headers.GetValues("Set-Cookie"));

    /// <summary>The request Cookie header a browser would send back.</summary>
    public static string CookieHeader(HttpResponseMessage response)
    {
        var cookie = Only(response);
        return $"{cookie.Name}={cookie.Value}";
    }
}
