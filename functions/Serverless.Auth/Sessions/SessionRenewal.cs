using Microsoft.AspNetCore.Http;
using Serverless.Auth.Cookies;
using Serverless.Auth.Throttling;

namespace Serverless.Auth.Sessions;

/// <summary>After a mailed link changed what the tokens say (a confirmed or changed address): renew this browser's session, if it has one.</summary>
internal static class SessionRenewal
{
    /// <summary>
    /// Only the refresh cookie may renew the session, exactly as refresh does: an access token (short-lived, also
    /// handed to other APIs as a bearer) must never be traded for a new long-lived refresh token here. Refresh also
    /// refuses values of several users (a planted cookie), so the session renewed is this user's.
    /// </summary>
    public static async Task RenewIfSignedInAsync(HttpContext context, SessionService sessions, SessionCookies cookies, DeviceCookies devices, string userId)
    {
        var presented = cookies.Refresh.ReadAll(context.Request);
        if (presented.Any(value => RefreshToken.TryParse(value, out var token) && token.UserId == userId)
            && await sessions.RefreshAsync(presented, devices.PresentedIds(context.Request), context.RequestAborted) is { } issued)
        {
            cookies.Append(context.Response, issued, sessions.ExpiryOf(issued.Session));
        }
    }
}
