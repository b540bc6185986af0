using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Serverless.Auth.Accounts;
using Microsoft.Extensions.Options;
using Serverless.Auth.Cookies;
using Serverless.Auth.Email;
using Serverless.Auth.Events;
using Serverless.Auth.Http;
using Serverless.Auth.Throttling;

namespace Serverless.Auth.Sessions;

/// <summary><c>POST /api/auth/login</c>: check the password and start a session.</summary>
internal sealed class LoginEndpoint(
    AccountService accounts,
    SessionService sessions,
    SessionCookies cookies,
    DeviceCookies devices,
    AuthEvents events,
    IOptions<EmailOptions> email)
{
    private readonly bool requireConfirmed = email.Value.RequireConfirmed;

    public static readonly EndpointDeclaration Declaration = EndpointDeclaration.For(
        new Operation
        {
            Summary = "Log in",
            Description = "Checks email and password and starts a session: sets the HttpOnly access and refresh cookies (browser-session cookies with remember: false). "
                + "One generic 401 for an unknown email and a wrong password; 429 + Retry-After during the per-account backoff. With "
                + "Auth__Email__RequireConfirmed, the right password for an unconfirmed address answers 403 with code email_not_confirmed.",
            RateLimit = RateLimitedAction.Credentials,
            Answers = [StatusCodes.Status401Unauthorized],
        },
        static (LoginEndpoint endpoint, EndpointRequest<CredentialsRequest> request) => endpoint.HandleAsync(request));

    public async Task<Results<Ok<SessionResponse>, ProblemHttpResult>> HandleAsync(EndpointRequest<CredentialsRequest> request)
    {
        var (context, credentials) = (request.Context, request.Body);

        // The session (and a new device, if this browser has none the account honours) is written while
        // the login clears its backoff; not at all when the address must be confirmed first.
        IssuedSession? issued = null;
        (string Id, long Sequence) device = ("", 0);
        var result = await accounts.LoginAsync(
            credentials.Email!,
            credentials.Password!,
            accountKey => devices.Presented(context.Request, accountKey),
            async loggedIn =>
            {
                var account = loggedIn.Account;
                if (!requireConfirmed || account.EmailConfirmed)
                {
                    var deviceId = loggedIn.Device?.DeviceId ?? DeviceCookies.NewDeviceId();
                    var recording = loggedIn.Device is { } known ? Task.FromResult<long?>(known.Sequence) : accounts.RecordDeviceAsync(account, context.RequestAborted);
                    var starting = sessions.StartAsync(
                        account.UserId, account.Email, account.EmailConfirmed, credentials.Remember ?? true, context.Request.Headers.UserAgent, context.RequestAborted,
                        deviceId);
                    await Task.WhenAll(recording, starting);
                    (issued, device) = (await starting, (deviceId, await recording ?? 0));
                }
            },
            context.RequestAborted);
        switch (result)
        {
            case CredentialCheck.Matched when issued is null:
                // Only after the right password: the 403 tells nothing to someone who does not know it.
                return Problems.EmailNotConfirmed();
            case CredentialCheck.Matched(var account, _):
                cookies.Append(context.Response, issued, sessions.ExpiryOf(issued.Session));
                devices.Issue(context.Response, EmailAddress.StorageKey(account.Email), account.UserId, device.Id, device.Sequence);
                await events.RaiseAsync(context, AuthEventKind.SignedIn, account.UserId, issued.Session.SessionId);
                return TypedResults.Ok(SessionResponse.For(issued.Access.Subject));
            case CredentialCheck.Throttled(var retryAfter):
                return Problems.TooManyRequests(context.Response, retryAfter, "Too many failed logins for this account. Wait before trying again.");
            default:
                return Problems.LoginFailed();
        }
    }
}
