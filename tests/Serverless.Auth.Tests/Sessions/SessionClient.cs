using System.Net;
using System.Net.Http.Json;
using Microsoft.Net.Http.Headers;
using Serverless.Auth.Http;

using Serverless.Auth.Tests.Infrastructure;

namespace Serverless.Auth.Tests.Sessions;

/// <summary>
/// One browser's cookie jar against an API instance, kept by hand so tests see every Set-Cookie:
/// cookies set by a response replace earlier ones of the same name; an expired one removes it.
/// </summary>
public sealed class SessionClient(HttpClient client)
{
    private readonly Dictionary<string, string> jar = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, string> Cookies => jar;

    public string? Access => jar.GetValueOrDefault("auth");

    public string? Refresh => jar.GetValueOrDefault("refresh");

    public string? Device => jar.GetValueOrDefault("device");

    /// <summary>Drops one cookie from the jar (a copy that never had it).</summary>
    public void Forget(string name) => jar.Remove(name);

    /// <summary>Puts a cookie value in the jar by hand (a planted or copied value).</summary>
    public void Set(string name, string value) => jar[name] = value;

    /// <summary>A second browser holding copies of this one's cookies (a stolen cookie, or another tab).</summary>
    public SessionClient CopyTo(HttpClient other)
    {
        var copy = new SessionClient(other);
        foreach (var (name, value) in jar)
        {
            copy.jar[name] = value;
        }

        return copy;
    }

    public Task<HttpResponseMessage> SignupAsync(string email, string password, bool? remember = null) =>
        SendAsync(HttpMethod.Post, AuthApi.Signup.Path, new CredentialsRequest(email, password, remember));

    public Task<HttpResponseMessage> LoginAsync(string email, string password, bool? remember = null, string? userAgent = null) =>
        SendAsync(HttpMethod.Post, AuthApi.Login.Path, new CredentialsRequest(email, password, remember), userAgent);

    public Task<HttpResponseMessage> RefreshAsync() => SendAsync(HttpMethod.Post, AuthApi.Refresh.Path);

    public Task<HttpResponseMessage> VerifyAsync() => SendAsync(HttpMethod.Get, AuthApi.Verify.Path);

    public Task<HttpResponseMessage> LogoutAsync() => SendAsync(HttpMethod.Post, AuthApi.Logout.Path);

    public Task<HttpResponseMessage> LogoutAllAsync() => SendAsync(HttpMethod.Post, AuthApi.LogoutAll.Path);

    public Task<HttpResponseMessage> SessionsAsync() => SendAsync(HttpMethod.Get, AuthApi.Sessions.Path);

    public Task<HttpResponseMessage> RevokeSessionAsync(string sessionId) =>
        SendAsync(HttpMethod.Post, AuthApi.RevokeSession.Path, new SessionRevokeRequest(sessionId));

    public Task<HttpResponseMessage> ChangePasswordAsync(string current, string next) =>
        SendAsync(HttpMethod.Post, AuthApi.ChangePassword.Path, new PasswordChangeRequest(current, next));

    public Task<HttpResponseMessage> DeleteAccountAsync(string password) =>
        SendAsync(HttpMethod.Post, AuthApi.DeleteAccount.Path, new AccountDeleteRequest(password));

    public Task<HttpResponseMessage> ForgotPasswordAsync(string email) =>
        SendAsync(HttpMethod.Post, AuthApi.PasswordForgot.Path, new EmailRequest(email));

    public Task<HttpResponseMessage> ResendConfirmationAsync(string email) =>
        SendAsync(HttpMethod.Post, AuthApi.EmailResend.Path, new EmailRequest(email));

    public Task<HttpResponseMessage> ConfirmEmailAsync(string token) =>
        SendAsync(HttpMethod.Post, AuthApi.EmailConfirm.Path, new EmailConfirmRequest(token));

    public Task<HttpResponseMessage> ResetPasswordAsync(string token, string newPassword) =>
        SendAsync(HttpMethod.Post, AuthApi.PasswordReset.Path, new PasswordResetRequest(token, newPassword));

    public Task<HttpResponseMessage> ChangeEmailAsync(string newEmail, string password) =>
        SendAsync(HttpMethod.Post, AuthApi.EmailChange.Path, new EmailChangeRequest(newEmail, password));

    public Task<HttpResponseMessage> ConfirmEmailChangeAsync(string token) =>
        SendAsync(HttpMethod.Post, AuthApi.EmailChangeConfirm.Path, new EmailConfirmRequest(token));

    /// <summary>Signs up (asserting 201) and returns the new user's id.</summary>
    public async Task<string> SignUpForUserIdAsync(string email, string password) =>
        (await ResponseAssert.JsonAsync(await SignupAsync(email, password), HttpStatusCode.Created)).GetProperty("userId").GetString()!;

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body = null, string? userAgent = null, string? origin = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType());
        }

        if (jar.Count > 0)
        {
            request.Headers.Add("Cookie", string.Join("; ", jar.Select(c => $"{c.Key}={c.Value}")));
        }

        if (userAgent is not null)
        {
            request.Headers.UserAgent.ParseAdd(userAgent);
        }

        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        foreach (var cookie in SetCookies(response))
        {
            if (cookie.MaxAge == TimeSpan.Zero || cookie.Value.Length == 0)
            {
                jar.Remove(cookie.Name.ToString());
            }
            else
            {
                jar[cookie.Name.ToString()] = cookie.Value.ToString();
            }
        }

        return response;
    }

    public static IList<SetCookieHeaderValue> SetCookies(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var values) ? SetCookieHeaderValue.ParseList([.. values]) : [];

    public static SetCookieHeaderValue Cookie(HttpResponseMessage response, string name) =>
        Assert.Single(SetCookies(response), c => c.Name == name);
}
