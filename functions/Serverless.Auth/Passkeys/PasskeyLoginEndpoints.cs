using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Serverless.Auth.Accounts;
using Serverless.Auth.Email;
using Serverless.Auth.Events;
using Serverless.Auth.Http;
using Serverless.Auth.Mfa;
using Serverless.Auth.Sessions;
using Serverless.Auth.Throttling;

namespace Serverless.Auth.Passkeys;

/// <summary>
/// Signing in with a passkey: anonymously (options without <c>allowCredentials</c>, so no account is named before the
/// browser's answer), and the options of a passkey as the second step of a password sign-in.
/// </summary>
internal sealed class PasskeyLoginEndpoints(
    PasskeyCeremony ceremony,
    PasskeyChallenges challenges,
    PasskeySignIns signIns,
    PasskeyRepository passkeys,
    UserRepository users,
    PendingSignIns pending,
    BrowserSignIn browser,
    AuthEvents events,
    IOptions<EmailOptions> email)
{
    private readonly bool requireConfirmed = email.Value.RequireConfirmed;

    public static readonly EndpointDeclaration LoginOptions = EndpointDeclaration.For(
        new Operation
        {
            Summary = "Options to sign in with a passkey",
            Description = "The options for navigator.credentials.get() (publicKey: an empty allowCredentials, so the browser offers the site's discoverable "
                + "passkeys and no account is named; user verification required; a 32-byte challenge valid 5 minutes in an HttpOnly cookie). 404 when passkeys are off.",
            RateLimit = RateLimitedAction.Credentials,
            Answers = [StatusCodes.Status404NotFound],
        },
        static (PasskeyLoginEndpoints endpoint, EndpointRequest<NoBody> request) => endpoint.LoginOptionsAsync(request));

    public static readonly EndpointDeclaration Login = EndpointDeclaration.For(
        new Operation
        {
            Summary = "Sign in with a passkey",
            Description = "The browser's answer (credential, as PublicKeyCredential.toJSON() gives it). Verified (origin, RP id hash, user presence and "
                + "verification, signature, the challenge, once; a signature counter that goes backwards is refused and recorded) and the session starts "
                + "as a login's, with amr [\"swk\",\"mfa\"] for a synced passkey or [\"hwk\",\"mfa\"] for a device-bound one: no second step follows, "
                + "a passkey with user verification is two factors. 401 code passkey_rejected when it does not verify; 403 email_not_confirmed as for login.",
            RateLimit = RateLimitedAction.Credentials,
            Answers = [StatusCodes.Status401Unauthorized, StatusCodes.Status404NotFound],
        },
        static (PasskeyLoginEndpoints endpoint, EndpointRequest<PasskeyLoginRequest> request) => endpoint.LoginAsync(request));

    public static readonly EndpointDeclaration SecondStepOptions = EndpointDeclaration.For(
        new Operation
        {
            Summary = "Options for a passkey as the second step",
            Description = "With the pending sign-in cookie of a login that answered mfa_required with \"passkey\" among its methods: the options for "
                + "navigator.credentials.get(), limited to that account's passkeys. Send the answer to POST /api/auth/mfa/verify as credential. "
                + "401 without a live pending sign-in; 409 when the account has no passkey.",
            RateLimit = RateLimitedAction.Credentials,
            Answers = [StatusCodes.Status401Unauthorized, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict],
        },
        static (PasskeyLoginEndpoints endpoint, EndpointRequest<NoBody> request) => endpoint.SecondStepOptionsAsync(request));

    public Task<Results<Ok<PasskeyRequestOptionsResponse>, ProblemHttpResult>> LoginOptionsAsync(EndpointRequest<NoBody> request)
    {
        Results<Ok<PasskeyRequestOptionsResponse>, ProblemHttpResult> result = ceremony.Enabled
            ? TypedResults.Ok(new PasskeyRequestOptionsResponse(ceremony.RequestOptions([], challenges.Issue(request.Context.Response, CeremonyKind.SignIn, "")))) 
            : PasskeyEndpoints.NotEnabled();
        return Task.FromResult(result);
    }

    public async Task<Results<Ok<SessionResponse>, ProblemHttpResult>> LoginAsync(EndpointRequest<PasskeyLoginRequest> request)
    {
        var context = request.Context;
        if (!ceremony.Enabled)
        {
            return PasskeyEndpoints.NotEnabled();
        }

        if (challenges.Read(context.Request, CeremonyKind.SignIn, userId: null) is not { } challenge)
        {
            return Rejected("The passkey sign-in expired or was not started: ask for new options (they are valid 5 minutes).");
        }

        // The session is written while the passkey's use is (and ended again if that write loses): no round trip after it.
        var check = await signIns.CheckAsync(
            request.Body.Credential!, challenge, pendingUserId: null, spendPending: null, request.Aborted,
            startAlongside: async (account, method) => requireConfirmed && !account.EmailConfirmed
                ? null
                : await browser.StartCheckedNowAsync(context, account, request.Body.Remember ?? true, Amr.WithPasskey(method), request.Aborted),
            undo: started => browser.UndoAsync(started, request.Aborted));
        switch (check)
        {
            case PasskeyCheck.Accepted(var account, _, _, SignedInBrowser signedIn):
                challenges.Clear(context.Response);
                browser.Append(context.Response, account, signedIn);
                await events.RaiseAsync(context, AuthEventKind.SignedIn, account.UserId, signedIn.Issued.Session.SessionId, "passkey");
                return TypedResults.Ok(SessionResponse.For(signedIn.Issued.Access.Subject));
            case PasskeyCheck.Accepted:
                // Only an account whose address must be confirmed first starts no session.
                return Problems.EmailNotConfirmed();
            case PasskeyCheck.Refused(var refusal):
                // Which account the assertion claimed is not trusted here: the fleet log only.
                await events.RaiseAsync(context, AuthEventKind.LoginFailed, null, null, "passkey");
                return Rejected(refusal.Reason);
            default:
                return Rejected("The passkey could not sign in.");
        }
    }

    public async Task<Results<Ok<PasskeyRequestOptionsResponse>, ProblemHttpResult>> SecondStepOptionsAsync(EndpointRequest<NoBody> request)
    {
        var context = request.Context;
        if (!ceremony.Enabled)
        {
            return PasskeyEndpoints.NotEnabled();
        }

        if (pending.Read(context.Request) is not { } signIn
            || await users.FindByIdAsync(signIn.UserId, emailHint: null, request.Aborted) is not { } account
            || !PendingSignIns.IsLiveFor(signIn, account))
        {
            return pending.Refuse(context.Response);
        }

        var list = await passkeys.ListAsync(account.UserId, request.Aborted);
        if (list.Count == 0)
        {
            return Problems.Conflict("This account has no passkey: use a code from the authenticator app or a recovery code.");
        }

        var challenge = challenges.Issue(context.Response, CeremonyKind.SecondStep, account.UserId);
        return TypedResults.Ok(new PasskeyRequestOptionsResponse(ceremony.RequestOptions(list, challenge)));
    }

    private static ProblemHttpResult Rejected(string detail) =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status401Unauthorized, title: "Passkey sign-in failed.", detail: detail,
            extensions: new Dictionary<string, object?> { ["code"] = "passkey_rejected" });
}
