using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Serverless.Auth.Accounts;
using Serverless.Auth.Email;
using Serverless.Auth.Events;
using Serverless.Auth.Http;
using Serverless.Auth.Passkeys;
using Serverless.Auth.Sessions;
using Serverless.Auth.Throttling;

namespace Serverless.Auth.Mfa;

/// <summary><c>POST /api/auth/mfa/verify</c>: the second step of a sign-in; the session starts here.</summary>
internal sealed class MfaVerifyEndpoint(
    UserRepository users,
    SecondFactor secondFactor,
    PendingSignIns pending,
    BrowserSignIn browser,
    PasskeyChallenges challenges,
    PasskeySignIns passkeys,
    AuthEvents events,
    MailOutbox outbox)
{
    public static readonly EndpointDeclaration Declaration = EndpointDeclaration.For(
        new Operation
        {
            Summary = "Complete a sign-in with a second factor",
            Description = "With the pending sign-in cookie a login with the right password left (status mfa_required): a TOTP code, a recovery code "
                + "(each usable once), or a passkey's answer (credential, to the options of POST /api/auth/mfa/passkey/options). Starts the session (cookies as "
                + "a login sets them; amr [\"pwd\",\"otp\",\"mfa\"], [\"pwd\",\"mfa\",\"rcv\"] for a recovery code, [\"pwd\",\"swk\",\"mfa\"] or "
                + "[\"pwd\",\"hwk\",\"mfa\"] for a synced or device-bound passkey) and only now issues the device cookie. A wrong or reused code is 400 "
                + "errors.code (or errors.recoveryCode, errors.credential) and the step can be retried; wrong answers count toward a backoff of the account's "
                + "own (429), which only a completed sign-in clears. 401 when the pending sign-in is missing, expired, already completed, or was issued "
                + "before a password change.",
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
            return pending.Refuse(context.Response);
        }

        if (account.Disabled)
        {
            pending.Clear(context.Response);
            return Problems.AccountDisabled();
        }

        if (body.Credential is not null)
        {
            return await PasskeyAsync(context, signIn, body.Credential);
        }

        // The code is spent together with the pending sign-in (its floor): of two completions of one cookie, one wins.
        var check = await secondFactor.CheckAsync(
            account, body, state => state.TotpSecret, state => Spend(state, signIn), cancellationToken,
            stillApplies: current => PendingSignIns.IsLiveFor(signIn, current));
        switch (check)
        {
            case SecondFactorCheck.Rejected(var field):
                await events.RaiseAsync(context, AuthEventKind.MfaFailed, account.UserId, null, field == "code" ? "totp" : "recovery");
                return Problems.Invalid(field, field == "code" ? "The code is incorrect or was used already." : "The recovery code is incorrect or was used already.");
            case SecondFactorCheck.Throttled(var wait):
                return TooManyWrongAnswers(context.Response, wait);
            case SecondFactorCheck.Accepted(var written, var method, var reservation):
                var issued = await CompleteAsync(context, written, signIn, method, reservation);
                if (method == "rcv")
                {
                    await outbox.NotifyAsync(written.UserId, written.Email, SecurityNotice.RecoveryCodeUsed, cancellationToken, written.Mfa.RecoveryCodes.Count);
                }

                return TypedResults.Ok(SessionResponse.For(issued.Access.Subject));
            default:
                return pending.Refuse(context.Response);
        }
    }

    /// <summary>The second step with a passkey: its answer is checked, counted and spent like a code, with the pending sign-in in the same write.</summary>
    private async Task<Results<Ok<SessionResponse>, ProblemHttpResult>> PasskeyAsync(HttpContext context, PendingSignIn signIn, PasskeyCredential credential)
    {
        var cancellationToken = context.RequestAborted;
        if (challenges.Read(context.Request, CeremonyKind.SecondStep, signIn.UserId) is not { } challenge)
        {
            return Problems.Invalid("credential", "The passkey step expired or was not started: ask for options again (POST /api/auth/mfa/passkey/options).");
        }

        var reservation = await secondFactor.ReserveAsync(signIn.UserId, cancellationToken);
        if (!reservation.Granted)
        {
            return TooManyWrongAnswers(context.Response, reservation.RetryAfter);
        }

        var check = await passkeys.CheckAsync(
            credential, challenge, signIn.UserId, current => PendingSignIns.IsLiveFor(signIn, current) ? Spend(current.Mfa, signIn) : null, cancellationToken);
        switch (check)
        {
            case PasskeyCheck.Accepted(var account, _, var method, _):
                challenges.Clear(context.Response);
                var issued = await CompleteAsync(context, account, signIn, method, reservation);
                return TypedResults.Ok(SessionResponse.For(issued.Access.Subject));
            case PasskeyCheck.Refused(var refusal):
                await events.RaiseAsync(context, AuthEventKind.MfaFailed, signIn.UserId, null, "passkey");
                return Problems.Invalid("credential", refusal.Reason);
            default:
                return pending.Refuse(context.Response);
        }
    }

    /// <summary>The session (and the device cookie), the pending cookie gone, the counter cleared, the event raised.</summary>
    private async Task<IssuedSession> CompleteAsync(HttpContext context, UserAccount account, PendingSignIn signIn, string method, Reservation reservation)
    {
        var amr = Amr.WithSecondFactor(method, signIn.FirstFactor);
        var issued = await browser.SignInCheckedNowAsync(context, account, signIn.Remember, amr, context.RequestAborted);
        pending.Clear(context.Response);
        await Task.WhenAll(
            secondFactor.ClearAsync(account.UserId, reservation, context.RequestAborted),
            events.RaiseAsync(context, AuthEventKind.SignedIn, account.UserId, issued.Session.SessionId, string.Join(' ', amr)));
        return issued;
    }

    /// <summary>The pending sign-in spent: its issue time becomes the account's floor.</summary>
    private static MfaState Spend(MfaState state, PendingSignIn signIn) => state with { PendingFloor = Math.Max(state.PendingFloor, signIn.IssuedAt) };

    private static ProblemHttpResult TooManyWrongAnswers(HttpResponse response, TimeSpan wait) =>
        Problems.TooManyRequests(response, wait, "Too many wrong codes for this account. Wait before trying again.");
}
