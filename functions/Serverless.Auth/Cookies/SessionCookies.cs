using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Serverless.Auth.Http;
using Serverless.Auth.Sessions;

namespace Serverless.Auth.Cookies;

/// <summary>The two cookies of a session, written and cleared together.</summary>
internal sealed class SessionCookies(IOptions<AuthCookieOptions> options, AuthMount mount, TimeProvider time)
{
    public AuthCookie Access { get; } = new(options);
    public AuthCookie Refresh { get; } = AuthCookie.Refresh(options, mount);

    /// <summary>
    /// Remembered sessions: the access cookie lives as long as its token, the refresh cookie as long as
    /// the session may. Otherwise both are browser-session cookies (no Max-Age).
    /// </summary>
    public void Append(HttpResponse response, IssuedSession issued, DateTimeOffset sessionExpiresAt)
    {
        var remember = issued.Session.Remember;
        Access.Append(response, issued.Access.Value, remember ? issued.Access.Subject.ExpiresAt - issued.Access.Subject.IssuedAt : null);
        Refresh.Append(response, issued.Refresh.ToString(), remember ? sessionExpiresAt - time.GetUtcNow() : null);
    }

    public void Clear(HttpResponse response)
    {
        Access.Clear(response);
        Refresh.Clear(response);
    }
}
