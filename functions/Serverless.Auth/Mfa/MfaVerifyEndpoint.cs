using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Serverless.Auth.Accounts;
using Serverless.Auth.Email;
using Serverless.Auth.Events;
using Serverless.Auth.Http;
using Serverless.Auth.Sessions;
using Serverless.Auth.Throttling;

namespace Serverless.Auth.Mfa;

/// <summary><c>POST /api/auth/mfa/verify</c>: the second step of a sign-in; the session starts here.</summary>
internal sealed class MfaVerifyEndpoint(
    UserRepository users,
    SecondFactor secondFactor,
    PendingSignIns pending,
    BrowserSignIn browser,
    DeviceCookies devices,
    AuthEvents events,
    MailOutbox outbox,
    TimeProvider time,
    IOptions<ThrottlingOptions> throttling)
{
    private readonly int maxDevices = throttling.Value.MaxDevicesPerAccount;

    public static readonly EndpointDeclaration Declaration = EndpointDeclaration.For(
        new Operation
        {
            Summary = "Complete a sign-in with a second factor",
            Description = "With the pending sign-in cookie a login with the right password left (status mfa_required): a TOTP code, or a recovery code "
                + "(each usable once). Starts the session (cookies as a login sets them; amr [\"pwd\",\"otp\",\"mfa\"], or [\"pwd\",\"mfa\",\"rcv\"] for a recovery "
                + "code) and only now issues the device cookie. A wrong or reused code is 400 errors.code (or errors.recoveryCode) and the step can be retried; "
                + "wrong codes count toward a backoff of the account's own (429), which only a completed sign-in clears. 401 when the pending sign-in is "
                + "missing, expired, already completed, or was issued before a password change.",
            RateLimit = RateLimitedAction.Credentials,
            Answers = [StatusCodes.Status401Unauthorized],
        },
        static (MfaVerifyEndpoint endpoint, EndpointRequest<MfaCodeRequest> request) => endpoint.HandleAsync(request));

    public async Task<Results<Ok<SessionResponse>, ProblemHttpResult>> HandleAsync(EndpointRequest<MfaCodeRequest> request)
    {
        var (context, body) = (request.Context, request.Body);
        var cancellationToken = context.RequestAborted;
        if (pending.Read(context.Request) is not { } signIn
            || await users.FindByIdAsync(signIn.UserId, emailHint: null, cancellationToken) is not { } account
            || !PendingSignIns.IsLiveFor(signIn, account))
        {
            return NoPendingSignIn(context.Response);
        }

        // The code is spent together with the pending sign-in (its floor): of two completions of one cookie, one wins.
        var check = await secondFactor.CheckAsync(
            account, body, state => state.TotpSecret, state => state with { PendingFloor = Math.Max(state.PendingFloor, signIn.IssuedAt) }, cancellationToken,
            stillApplies: current => PendingSignIns.IsLiveFor(signIn, current));
        switch (check)
        {
            case SecondFactorCheck.Rejected(var field):
                return Problems.Invalid(field, field == "code" ? "The code is incorrect or was used already." : "The recovery code is incorrect or was used already.");
            case SecondFactorCheck.Throttled(var wait):
                return Problems.TooManyRequests(context.Response, wait, "Too many wrong codes for this account. Wait before trying again.");
            case SecondFactorCheck.Accepted(var written, var method, var reservation):
                var issued = await StartSessionAsync(context, written, signIn.Remember, Amr.WithSecondFactor(method), cancellationToken);
                pending.Clear(context.Response);
                await Task.WhenAll(
                    secondFactor.ClearAsync(written.UserId, reservation, cancellationToken),
                    events.RaiseAsync(context, AuthEventKind.SignedIn, written.UserId, issued.Session.SessionId),
                    method == "rcv"
                        ? outbox.NotifyAsync(written.UserId, written.Email, SecurityNotice.RecoveryCodeUsed, cancellationToken, written.Mfa.RecoveryCodes.Count)
                        : Task.CompletedTask);
                return TypedResults.Ok(SessionResponse.For(issued.Access.Subject));
            default:
                return NoPendingSignIn(context.Response);
        }
    }

    /// <summary>The session and the device cookie, as a login without a second factor makes them.</summary>
    private async Task<IssuedSession> StartSessionAsync(HttpContext context, UserAccount account, bool remember, IReadOnlyList<string> amr, CancellationToken cancellationToken)
    {
        var presented = devices.Presented(context.Request, EmailAddress.StorageKey(account.Email));
        var honoured = presented is not null && presented.IsHonouredBy(account, maxDevices) ? presented : null;
        var signedIn = await browser.StartAsync(context, account, honoured, remember, amr, time.GetUtcNow(), cancellationToken);
        browser.Append(context.Response, account, signedIn);
        return signedIn.Issued;
    }

    private ProblemHttpResult NoPendingSignIn(HttpResponse response)
    {
        pending.Clear(response);
        return TypedResults.Problem(
            statusCode: StatusCodes.Status401Unauthorized, title: "No sign-in to complete.",
            detail: "The second step expired, was completed already, or was never started. Sign in again.",
            extensions: new Dictionary<string, object?> { ["code"] = "mfa_pending_invalid" });
    }
}
