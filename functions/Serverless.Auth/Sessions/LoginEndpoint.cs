using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Serverless.Auth.Accounts;
using Microsoft.Extensions.Options;
using Serverless.Auth.Email;
using Serverless.Auth.Events;
using Serverless.Auth.Http;
using Serverless.Auth.Mfa;
using Serverless.Auth.Throttling;

namespace Serverless.Auth.Sessions;

/// <summary><c>POST /api/auth/login</c>: check the password and start a session.</summary>
internal sealed class LoginEndpoint(
    AccountService accounts,
    BrowserSignIn browser,
    DeviceCookies devices,
    AuthEvents events,
    PendingSignIns pending,
    IOptions<EmailOptions> email)
{
    private readonly bool requireConfirmed = email.Value.RequireConfirmed;

    public static readonly EndpointDeclaration Declaration = EndpointDeclaration.For(
        new Operation
        {
            Summary = "Log in",
            Description = "Checks email and password and starts a session: sets the HttpOnly access and refresh cookies (browser-session cookies with remember: false). "
                + "One generic 401 for an unknown email and a wrong password; 429 + Retry-After during the per-account backoff. With "
                + "Auth__Email__RequireConfirmed, the right password for an unconfirmed address answers 403 with code email_not_confirmed. For an account "
                + "with a second factor, the right password answers 200 with status mfa_required, the methods and when the step expires, and sets no "
                + "session cookie: only the pending sign-in cookie (Path = the auth base path + /mfa) for POST /api/auth/mfa/verify.",
            RateLimit = RateLimitedAction.Credentials,
            Answers = [StatusCodes.Status401Unauthorized],
        },
        static (LoginEndpoint endpoint, EndpointRequest<CredentialsRequest> request) => endpoint.HandleAsync(request));

    public async Task<Results<Ok<SessionResponse>, ProblemHttpResult>> HandleAsync(EndpointRequest<CredentialsRequest> request)
    {
        var (context, credentials) = (request.Context, request.Body);

        // The session (and a new device, if this browser has none the account honours) is written while
        // the login clears its backoff; not at all when the address must be confirmed first.
        SignedInBrowser? signedIn = null;
        var result = await accounts.LoginAsync(
            credentials.Email!,
            credentials.Password!,
            accountKey => devices.Presented(context.Request, accountKey),
            async loggedIn =>
            {
                var account = loggedIn.Account;
                // A second factor comes first: no session, no device cookie, only the pending sign-in (below).
                if ((!requireConfirmed || account.EmailConfirmed) && !account.Mfa.TotpEnabled && !account.Disabled)
                {
                    signedIn = await browser.StartAsync(context, account, loggedIn.Device, credentials.Remember ?? true, amr: null, secondFactorAt: null, context.RequestAborted);
                }
            },
            context.RequestAborted);
        switch (result)
        {
            case CredentialCheck.Matched(var account, _) when account.Disabled:
                // Only after the right password: someone without it still gets the generic 401.
                await events.RaiseAsync(context, AuthEventKind.LoginFailed, account.UserId, null, "account_disabled");
                return Problems.AccountDisabled();
            case CredentialCheck.Matched(var account, _) when signedIn is null && (!requireConfirmed || account.EmailConfirmed):
                // The right password for an account with a second factor: the pending cookie, and the methods to offer.
                var stepExpiresAt = pending.Issue(context.Response, account, credentials.Remember ?? true);
                return TypedResults.Ok(SessionResponse.SecondStep(account.SecondStepMethods, stepExpiresAt));
            case CredentialCheck.Matched when signedIn is null:
                // Only after the right password: the 403 tells nothing to someone who does not know it.
                return Problems.EmailNotConfirmed();
            case CredentialCheck.Matched(var account, _):
                browser.Append(context.Response, account, signedIn);
                await events.RaiseAsync(context, AuthEventKind.SignedIn, account.UserId, signedIn.Issued.Session.SessionId, "password");
                return TypedResults.Ok(SessionResponse.For(signedIn.Issued.Access.Subject));
            case CredentialCheck.Throttled(var retryAfter, var userId):
                await events.RaiseAsync(context, AuthEventKind.LoginThrottled, userId, null, userId is null ? "no_account" : "password");
                return Problems.TooManyRequests(context.Response, retryAfter, "Too many failed logins for this account. Wait before trying again.");
            case CredentialCheck.Rejected(var userId):
                await events.RaiseAsync(context, AuthEventKind.LoginFailed, userId, null, userId is null ? "no_account" : "password");
                return Problems.LoginFailed();
            default:
                return Problems.LoginFailed();
        }
    }
}
