using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Serverless.Auth.Cookies;
using Serverless.Auth.Email;
using Serverless.Auth.Events;
using Serverless.Auth.Http;
using Serverless.Auth.Mfa;
using Serverless.Auth.Sessions;
using Serverless.Auth.Throttling;

namespace Serverless.Auth.Accounts;

/// <summary><c>POST /api/auth/password</c>: change the password; every session ends, this browser gets a new one.</summary>
internal sealed class ChangePasswordEndpoint(
    AccountService accounts,
    SessionService sessions,
    SessionCookies cookies,
    DeviceCookies devices,
    StepUp stepUp,
    AuthEvents events,
    MailOutbox outbox)
{
    public static readonly EndpointDeclaration Declaration = EndpointDeclaration.For(
        new Operation
        {
            Summary = "Change my password",
            Description = "Checks the current password (a wrong one counts toward the backoff: the device's own on a trusted device, else the account's) and, "
                + "for an account with a second factor, a code or recovery code unless this session checked one within Auth__Mfa__StepUpSeconds (400 errors.code), "
                + "sets the new one, ends every session with every access token issued so far (this one's too), voids every earlier device cookie "
                + "and answers with the cookies of a new session for this browser. On 503 either nothing changed or the change is complete: "
                + "sessions are ended before the password is written.",
            RateLimit = RateLimitedAction.Credentials,
            RequiresSession = true,
            Answers = [StatusCodes.Status409Conflict],
        },
        static (ChangePasswordEndpoint endpoint, EndpointRequest<PasswordChangeRequest> request) => endpoint.HandleAsync(request));

    public async Task<Results<Ok<SessionResponse>, ProblemHttpResult>> HandleAsync(EndpointRequest<PasswordChangeRequest> request)
    {
        var (context, body, subject) = (request.Context, request.Body, request.Subject);

        var cancellationToken = context.RequestAborted;
        var (account, wrong, secondFactor) = await Reauthentication.CheckAsync(
            accounts, devices, context, subject, body.CurrentPassword!, "currentPassword", "The current password is incorrect.", body);
        if (wrong is not null)
        {
            return wrong;
        }

        // Every session ends, this one too (with all its earlier access tokens); the new session starts at the last cut-off.
        var remember = await sessions.FindAsync(subject.UserId, subject.SessionId, cancellationToken) is not { Remember: false };
        var cutoff = DateTimeOffset.MinValue;
        var result = await accounts.ChangePasswordAsync(
            account!, body.NewPassword!, async () => cutoff = await sessions.EndAllAsync(subject.UserId, cancellationToken), cancellationToken);
        if (result is PasswordChangeResult.Invalid(var errors))
        {
            return TypedResults.Problem(Problems.ValidationDetails(errors));
        }

        if (result is not PasswordChangeResult.Changed(var changed))
        {
            return Problems.Conflict("The account changed while the password was being changed. Try again.");
        }

        var deviceId = DeviceCookies.NewDeviceId();
        // The new session keeps how this one was signed in (and a code checked just now counts as its latest).
        var (amr, secondFactorAt) = stepUp.Carried(subject, secondFactor);
        var issued = await sessions.StartAsync(
            changed.UserId, changed.Email, changed.EmailConfirmed, remember, context.Request.Headers.UserAgent, cancellationToken, deviceId, notBefore: cutoff,
            amr: amr, secondFactorAt: secondFactorAt);
        cookies.Append(context.Response, issued, sessions.ExpiryOf(issued.Session));
        devices.Issue(context.Response, EmailAddress.StorageKey(changed.Email), changed.UserId, deviceId, changed.DevicesIssued);
        await Task.WhenAll(
            events.RaiseAsync(context, AuthEventKind.PasswordChanged, changed.UserId, subject.SessionId),
            outbox.NotifyAsync(changed.UserId, changed.Email, SecurityNotice.PasswordChanged, cancellationToken));
        return TypedResults.Ok(SessionResponse.For(issued.Access.Subject));
    }
}
