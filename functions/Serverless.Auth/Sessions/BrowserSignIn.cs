using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
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
internal sealed class BrowserSignIn(
    AccountService accounts, UserRepository users, SessionService sessions, SessionCookies cookies, DeviceCookies devices, IOptions<ThrottlingOptions> throttling, TimeProvider time)
{
    private readonly int maxDevices = throttling.Value.MaxDevicesPerAccount;

    /// <summary>
    /// A sign-in by a second factor or a passkey (no password check decided on the device cookie): the device cookie the
    /// browser presents is honoured if the account honours it, else a new one is issued; the session records
    /// <paramref name="amr"/> and that a second factor was checked now. Both cookies are on the response.
    /// </summary>
    public async Task<IssuedSession> SignInCheckedNowAsync(HttpContext context, UserAccount account, bool remember, IReadOnlyList<string> amr, CancellationToken cancellationToken)
    {
        var signedIn = await StartCheckedNowAsync(context, account, remember, amr, cancellationToken);
        Append(context.Response, account, signedIn);
        return signedIn.Issued;
    }

    /// <summary><see cref="SignInCheckedNowAsync"/> without the cookies yet: the caller appends them (<see cref="Append"/>) once the sign-in is decided.</summary>
    public Task<SignedInBrowser> StartCheckedNowAsync(HttpContext context, UserAccount account, bool remember, IReadOnlyList<string> amr, CancellationToken cancellationToken) =>
        StartCheckedNowAsync(context, account, remember, amr, time.GetUtcNow(), cancellationToken);

    /// <summary>As above, for a sign-in that checked no password here (a provider's): <paramref name="secondFactorAt"/> as the caller decides.</summary>
    /// <param name="readSince">See <see cref="StartAsync"/>.</param>
    public Task<SignedInBrowser> StartCheckedNowAsync(
        HttpContext context, UserAccount account, bool remember, IReadOnlyList<string> amr, DateTimeOffset? secondFactorAt, CancellationToken cancellationToken,
        DateTimeOffset? readSince = null)
    {
        var presented = devices.Presented(context.Request, EmailAddress.StorageKey(account.Email));
        var honoured = presented is not null && presented.IsHonouredBy(account, maxDevices) ? presented : null;
        return StartAsync(context, account, honoured, remember, amr, secondFactorAt, cancellationToken, readSince);
    }

    /// <summary>A session started for a sign-in that did not happen after all (its answer lost a race): ended before anyone got it.</summary>
    public Task UndoAsync(SignedInBrowser signedIn, CancellationToken cancellationToken) =>
        sessions.EndAsync(signedIn.Issued.Session.UserId, signedIn.Issued.Session.SessionId, cancellationToken);

    /// <param name="honouredDevice">The device cookie the browser presented, if the account honours it: issued again, not a new one.</param>
    /// <param name="readSince">
    /// A time taken before <paramref name="account"/> was read (null: none). The session starts at it, so that read stands
    /// for the one made here otherwise: a disable it missed was written later, and its cut-off ends this session.
    /// </param>
    public async Task<SignedInBrowser> StartAsync(
        HttpContext context, UserAccount account, DeviceCookie? honouredDevice, bool remember, IReadOnlyList<string>? amr, DateTimeOffset? secondFactorAt,
        CancellationToken cancellationToken, DateTimeOffset? readSince = null)
    {
        if (account.Disabled)
        {
            throw new AccountDisabledException();
        }

        var deviceId = honouredDevice?.DeviceId ?? DeviceCookies.NewDeviceId();
        var recording = honouredDevice is not null ? Task.FromResult<long?>(honouredDevice.Sequence) : accounts.RecordDeviceAsync(account, cancellationToken);
        var starting = sessions.StartAsync(
            account.UserId, account.Email, account.EmailConfirmed, remember, context.Request.Headers.UserAgent, cancellationToken, deviceId,
            amr: amr, secondFactorAt: secondFactorAt, startedAt: readSince);
        // Read again once the session's start time is taken, while it is written: an admin's disable that this read
        // misses was written after it, so its cut-off (taken later still) ends this session too; one it sees ends it here.
        var rereading = readSince is null ? users.FindByIdAsync(account.UserId, account.Email, cancellationToken) : Task.FromResult<UserAccount?>(account);
        await Task.WhenAll(recording, starting, rereading);
        var signedIn = new SignedInBrowser(await starting, deviceId, await recording ?? 0);
        if ((await rereading)?.Disabled == true)
        {
            await UndoAsync(signedIn, cancellationToken);
            throw new AccountDisabledException();
        }

        return signedIn;
    }

    public void Append(HttpResponse response, UserAccount account, SignedInBrowser signedIn)
    {
        cookies.Append(response, signedIn.Issued, sessions.ExpiryOf(signedIn.Issued.Session));
        devices.Issue(response, EmailAddress.StorageKey(account.Email), account.UserId, signedIn.DeviceId, signedIn.DeviceSequence);
    }
}
