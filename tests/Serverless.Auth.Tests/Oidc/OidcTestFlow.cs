using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Serverless.Auth.Http;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Oidc;

/// <summary>What the frontend does in a social sign-in, over plain HTTP: a verifier, the start, the provider, the callback, the exchange.</summary>
public static class OidcTestFlow
{
    public const string ReturnTo = TestApi.Frontend + "/auth/return";

    /// <summary>A frontend's verifier (43 characters) and its S256 challenge.</summary>
    public static (string Verifier, string Challenge) NewVerifier()
    {
        var verifier = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        return (verifier, Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));
    }

    public static string StartPath(string provider, string challenge, string returnTo = ReturnTo) =>
        $"/api/auth/oidc/{provider}/start?returnTo={Uri.EscapeDataString(returnTo)}&codeChallenge={challenge}";

    /// <summary>The start: asserts the 302 to the provider and returns where it points.</summary>
    public static async Task<Uri> StartAsync(SessionClient browser, string provider, string challenge, string returnTo = ReturnTo)
    {
        var start = await browser.SendAsync(HttpMethod.Get, StartPath(provider, challenge, returnTo));
        Assert.True(start.StatusCode == HttpStatusCode.Redirect, $"{start.StatusCode}: {await start.Content.ReadAsStringAsync()}");
        return start.Headers.Location!;
    }

    /// <summary>The callback: asserts the 302 to returnTo and returns its query.</summary>
    public static async Task<Dictionary<string, string>> CallbackAsync(SessionClient browser, Uri callback, string returnTo = ReturnTo)
    {
        var back = await browser.SendAsync(HttpMethod.Get, callback.PathAndQuery);
        Assert.Equal(HttpStatusCode.Redirect, back.StatusCode);
        var location = back.Headers.Location!.ToString();
        Assert.StartsWith(returnTo + "?", location, StringComparison.Ordinal);
        Assert.DoesNotContain(SessionClient.SetCookies(back), c => c.Name == "auth" || c.Name == "refresh");
        return QueryHelpers.ParseQuery(new Uri(location).Query).ToDictionary(p => p.Key, p => p.Value.ToString());
    }

    /// <summary>
    /// A link flow's end: the callback (in the navigation's browser, holding the flow cookie), then the owner's page confirming
    /// the link code with its verifier and session. As a return query: <c>linked</c> = the provider when it landed, else
    /// <c>error</c> = the callback's error code or the confirmation's problem code (or its status).
    /// </summary>
    public static async Task<Dictionary<string, string>> FinishLinkAsync(SessionClient owner, SessionClient navigation, Uri callback, string verifier, string provider = "test")
    {
        var back = await CallbackAsync(navigation, callback);
        if (!back.TryGetValue("code", out var code))
        {
            return back;
        }

        var confirmed = await ExchangeAsync(owner, code, verifier);
        if (confirmed.StatusCode == HttpStatusCode.OK)
        {
            Assert.Equal("linked", (await ResponseAssert.JsonAsync(confirmed, HttpStatusCode.OK)).GetProperty("status").GetString());
            return new() { ["linked"] = provider };
        }

        var problem = await ResponseAssert.ProblemAsync(confirmed, confirmed.StatusCode);
        return new() { ["error"] = problem.TryGetProperty("code", out var reason) ? reason.GetString()! : ((int)confirmed.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture) };
    }

    public static Task<HttpResponseMessage> ExchangeAsync(SessionClient browser, string code, string verifier) =>
        browser.SendAsync(HttpMethod.Post, AuthApi.OidcExchange.Path, new { code, codeVerifier = verifier }, origin: TestApi.Frontend);

    /// <summary>Asserts a signed-in exchange answer and returns its body.</summary>
    public static async Task<JsonElement> SignedInAsync(HttpResponseMessage exchange)
    {
        var body = await ResponseAssert.JsonAsync(exchange, HttpStatusCode.OK);
        Assert.Equal("signed_in", body.GetProperty("status").GetString());
        return body;
    }
}
