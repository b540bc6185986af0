using Microsoft.AspNetCore.Http;
using Serverless.Auth.Accounts;
using Serverless.Auth.Cookies;
using Serverless.Auth.Throttling;

namespace Serverless.Auth.Sessions;

/// <summary>A session started for a browser, with the device cookie it gets (its id and number).</summary>
internal sealed record SignedInBrowser(IssuedSession Issued, string DeviceId, long DeviceSequence);

/// <summary>
/// The end of every sign-in (a login without a second factor, the second step): the session, bound to the browser's
/// device cookie (the one it presented, when the account honours it; else a new one, counted on the account), then
/// both cookies and the device cookie on the response.
/// </summary>
internal sealed class BrowserSignIn(AccountService accounts, SessionService sessions, SessionCookies cookies, DeviceCookies devices)
{
    /// <param name="honouredDevice">The device cookie the browser presented, if the account honours it: issued again, not a new one.</param>
    public async Task<SignedInBrowser> StartAsync(
        HttpContext context, UserAccount account, DeviceCookie? honouredDevice, bool remember, IReadOnlyList<string>? amr, DateTimeOffset? secondFactorAt,
        CancellationToken cancellationToken)
    {
        var deviceId = honouredDevice?.DeviceId ?? DeviceCookies.NewDeviceId();
        var recording = honouredDevice is not null ? Task.FromResult<long?>(honouredDevice.Sequence) : accounts.RecordDeviceAsync(account, cancellationToken);
        var starting = sessions.StartAsync(
            account.UserId, account.Email, account.EmailConfirmed, remember, context.Request.Headers.UserAgent, cancellationToken, deviceId,
            amr: amr, secondFactorAt: secondFactorAt);
        await Task.WhenAll(recording, starting);
        return new SignedInBrowser(await starting, deviceId, await recording ?? 0);
    }

    public void Append(HttpResponse response, UserAccount account, SignedInBrowser signedIn)
    {
        cookies.Append(response, signedIn.Issued, sessions.ExpiryOf(signedIn.Issued.Session));
        devices.Issue(response, EmailAddress.StorageKey(account.Email), account.UserId, signedIn.DeviceId, signedIn.DeviceSequence);
    }
}
