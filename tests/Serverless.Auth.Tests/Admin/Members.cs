using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using Serverless.Auth.Http;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Oidc;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Admin;

/// <summary>An account made by a test, with the browser that signed it up (and holds its first session).</summary>
public sealed record Member(string Email, string UserId, SessionClient Browser);

/// <summary>What users do before an admin steps in: sign up, add a passkey or TOTP, sign in by each method.</summary>
public static class Members
{
    public static async Task<Member> SignUpAsync(TestApi on, string name)
    {
        var email = Emails.Unique(name);
        var browser = new SessionClient(on.Client);
        return new Member(email, await browser.SignUpForUserIdAsync(email, AdminHosts.Password), browser);
    }

    /// <summary>Adds a passkey held by <paramref name="authenticator"/> (the password as re-authentication); returns the credential's row-key hash.</summary>
    public static async Task<string> AddPasskeyAsync(SessionClient session, SoftwareAuthenticator authenticator)
    {
        var options = await ResponseAssert.JsonAsync(
            await session.SendAsync(HttpMethod.Post, AuthApi.PasskeyRegisterOptions.Path, new { password = AdminHosts.Password }), HttpStatusCode.OK);
        await ResponseAssert.JsonAsync(
            await session.SendAsync(HttpMethod.Post, AuthApi.PasskeyRegister.Path, new { credential = authenticator.Register(options), name = "Laptop" }), HttpStatusCode.OK);
        return Base64UrlEncoder.Encode(SHA256.HashData(authenticator.Credentials[^1].Id));
    }

    public static SoftwareAuthenticator NewAuthenticator() => new(TestApi.Frontend, "localhost");

    /// <summary>A passkey sign-in in a new browser on <paramref name="on"/>: the options, then the authenticator's answer.</summary>
    public static async Task<(HttpResponseMessage Response, SessionClient Browser)> PasskeyLoginAsync(TestApi on, SoftwareAuthenticator authenticator)
    {
        var browser = new SessionClient(on.Client);
        var options = await ResponseAssert.JsonAsync(await browser.SendAsync(HttpMethod.Post, AuthApi.PasskeyLoginOptions.Path), HttpStatusCode.OK);
        return (await browser.SendAsync(HttpMethod.Post, AuthApi.PasskeyLogin.Path, new { credential = authenticator.Assert(options) }), browser);
    }

    /// <summary>Sets up and enables TOTP with oathtool's code for now; returns the secret.</summary>
    public static async Task<string> EnableTotpAsync(SessionClient session)
    {
        var setup = await ResponseAssert.JsonAsync(await session.SendAsync(HttpMethod.Post, AuthApi.MfaTotpSetup.Path, new { password = AdminHosts.Password }), HttpStatusCode.OK);
        var secret = setup.GetProperty("secret").GetString()!;
        await ResponseAssert.JsonAsync(
            await session.SendAsync(HttpMethod.Post, AuthApi.MfaTotpEnable.Path, new { code = await Oathtool.CodeAsync(secret) }), HttpStatusCode.OK);
        return secret;
    }

    /// <summary>
    /// A social sign-in through <paramref name="provider"/> (as <c>test</c>'s rogue provider, giving <paramref name="sub"/> and
    /// <paramref name="email"/>) in a new browser on <paramref name="on"/>, up to the exchange's answer.
    /// </summary>
    /// <param name="beforeExchange">Run once the frontend has its one-time code, just before it exchanges it.</param>
    public static async Task<(HttpResponseMessage Exchange, SessionClient Browser)> SocialSignInAsync(
        TestApi on, RogueOidcProvider provider, string sub, string email, Action? beforeExchange = null)
    {
        provider.IdTokenFor = request => provider.IdToken(provider.Claims(request.Authorization?.Nonce, sub: sub, email: email));
        var browser = new SessionClient(on.Client);
        var (verifier, challenge) = OidcTestFlow.NewVerifier();
        var authorize = await OidcTestFlow.StartAsync(browser, AdminHosts.SocialProvider, challenge);
        var back = await OidcTestFlow.CallbackAsync(browser, provider.SignIn(authorize));
        Assert.True(back.ContainsKey("code"), string.Join(", ", back));
        beforeExchange?.Invoke();
        return (await OidcTestFlow.ExchangeAsync(browser, back["code"], verifier), browser);
    }

    /// <summary>Asserts a 403 account_disabled that starts no session (no access or refresh cookie).</summary>
    public static async Task AssertDisabledAsync(HttpResponseMessage response)
    {
        var problem = await ResponseAssert.ProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Equal("account_disabled", problem.GetProperty("code").GetString());
        Assert.DoesNotContain(SessionClient.SetCookies(response), c => c.Name == "auth" || c.Name == "refresh");
    }

    /// <summary>The property names of a JSON object, in order.</summary>
    public static string[] Names(JsonElement json) => [.. json.EnumerateObject().Select(p => p.Name)];
}
