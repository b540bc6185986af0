using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Serverless.Auth.Accounts;
using Serverless.Auth.Cookies;
using Serverless.Auth.Events;
using Serverless.Auth.Http;
using Serverless.Auth.Sessions;
using Serverless.Auth.Throttling;

namespace Serverless.Auth.Email;

/// <summary>
/// <c>POST /api/auth/email/change</c> (signed in: the new address and the password) and
/// <c>POST /api/auth/email/change/confirm</c> (the token from the link mailed to the new address).
/// </summary>
internal sealed class EmailChangeEndpoint(
    AccountService accounts,
    MailOutbox outbox,
    MailLinks links,
    SessionService sessions,
    SessionCookies cookies,
    DeviceCookies devices,
    AuthEvents events)
{
    public static readonly EndpointDeclaration Request = EndpointDeclaration.For(
        new Operation
        {
            Summary = "Change my email address",
            Description = "Checks the password (a wrong one counts toward the backoff, as for a password change), then mails a link to the new address "
                + "and a notice to the current one (no link: it points to password reset). Always 202 with the same body for a well-formed new "
                + "address: if it belongs to another account, that address gets a \"someone tried to use your address\" mail instead of a link. "
                + "The link works once, only while it is the account's newest and the password has not changed since. 409 when the account "
                + "changed while the request was made (another instance moving or deleting it): try again.",
            RateLimit = RateLimitedAction.Credentials,
            RequiresSession = true,
            Answers = [StatusCodes.Status409Conflict],
        },
        static (EmailChangeEndpoint endpoint, EndpointRequest<EmailChangeRequest> request) => endpoint.RequestAsync(request));

    public static readonly EndpointDeclaration Confirm = EndpointDeclaration.For(
        new Operation
        {
            Summary = "Confirm an email change",
            Description = "Moves the account to the new address with the token from the link (single use), confirmed, and frees the old address "
                + "(it can sign up again). When the request carries the refresh cookie of a live session of the same user, that session is refreshed "
                + "(both cookies rotated), so verify shows the new address at once; other sessions show it from their next refresh. 400 with code "
                + "invalid_token for an unknown, expired, used or superseded token, or one voided by a password change; 400 with code email_taken "
                + "when another account took the new address meanwhile (nothing changes).",
            RateLimit = RateLimitedAction.Email,
        },
        static (EmailChangeEndpoint endpoint, EndpointRequest<EmailConfirmRequest> request) => endpoint.ConfirmAsync(request));

    public async Task<Results<Accepted<AcceptedResponse>, ProblemHttpResult>> RequestAsync(EndpointRequest<EmailChangeRequest> request)
    {
        var (context, body, subject) = (request.Context, request.Body, request.Subject);
        if (!EmailAddress.TryCanonicalize(body.NewEmail!, out var newEmail, out var emailProblem))
        {
            return NewEmailProblem(emailProblem);
        }

        var (account, wrong, _) = await Reauthentication.CheckAsync(accounts, devices, context, subject, body.Password!, "password", "The password is incorrect.", body);
        if (wrong is not null)
        {
            return wrong;
        }

        if (newEmail == account!.Email)
        {
            return NewEmailProblem("This is the account's address already.");
        }

        // The mail finds the account by its id: one the previous release stored is moved to its own row first.
        if (await accounts.EnsureCurrentAsync(account, request.Aborted) is not { } current)
        {
            return Problems.Conflict("The account changed while the request was made. Try again.");
        }

        // The same two messages whatever the new address is: whether it has an account is the mail worker's business.
        await outbox.EnqueueAsync(outbox.NewRequest(MailKind.EmailChange, newEmail) with { UserId = current.UserId }, request.Aborted);
        // The notice finds the account by id too: it may be delivered after the link was used, when the old address no longer finds it.
        await Task.WhenAll(
            outbox.EnqueueAsync(outbox.NewRequest(MailKind.EmailChangeNotice, current.Email) with { NewEmail = newEmail, UserId = current.UserId }, request.Aborted),
            events.RaiseAsync(context, AuthEventKind.EmailChangeRequested, current.UserId, subject.SessionId));
        return TypedResults.Accepted((string?)null, AcceptedResponse.Instance);
    }

    public async Task<Results<Ok<EmailConfirmedResponse>, ProblemHttpResult>> ConfirmAsync(EndpointRequest<EmailConfirmRequest> request)
    {
        var context = request.Context;
        switch (await links.ChangeEmailAsync(request.Body.Token!, request.Aborted))
        {
            case EmailChangeResult.Taken:
                return Problems.NewEmailTaken();
            case EmailChangeResult.Changed(var account):
                await SessionRenewal.RenewIfSignedInAsync(context, sessions, cookies, devices, account.UserId);
                await events.RaiseAsync(context, AuthEventKind.EmailChanged, account.UserId, null);
                return TypedResults.Ok(new EmailConfirmedResponse(account.UserId, account.Email, EmailConfirmed: true));
            default:
                return Problems.InvalidMailToken();
        }
    }

    private static ProblemHttpResult NewEmailProblem(string message) =>
        TypedResults.Problem(Problems.ValidationDetails(new Dictionary<string, string[]> { ["newEmail"] = [message] }));
}
