using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Serverless.Auth.Accounts;
using Serverless.Auth.Http;
using Serverless.Auth.Throttling;

namespace Serverless.Auth.Email;

/// <summary>
/// <c>POST /api/auth/email/resend</c> and <c>POST /api/auth/password/forgot</c>: 202 for every
/// well-formed address, after the same single queue insert, so neither the answer nor its timing
/// says whether the address has an account.
/// </summary>
internal sealed class MailRequestEndpoint(MailOutbox outbox, Sessions.Authenticator authenticator, UserRepository users)
{
    private const string Accepted = "Always 202 with the same body for a well-formed address, whether or not it has an account "
        + "(nothing to enumerate); the mail goes out from a queue, at most one of a kind per account per cooldown.";

    public static readonly EndpointDeclaration Resend = EndpointDeclaration.For(
        new Operation
        {
            Summary = "Resend the confirmation mail",
            Description = "Sends a new confirmation link if the address has an unconfirmed account. Signed in to an account a social sign-in "
                + "provider made with this address (not vouched for, so not claimed yet), it sends that account's link. " + Accepted,
            RateLimit = RateLimitedAction.Email,
        },
        static (MailRequestEndpoint endpoint, EndpointRequest<EmailRequest> request) => endpoint.HandleAsync(request, MailKind.Confirm));

    public static readonly EndpointDeclaration Forgot = EndpointDeclaration.For(
        new Operation
        {
            Summary = "Forgot password",
            Description = "Sends a password-reset link if the address has an account; a newer link voids older ones. " + Accepted,
            RateLimit = RateLimitedAction.Email,
        },
        static (MailRequestEndpoint endpoint, EndpointRequest<EmailRequest> request) => endpoint.HandleAsync(request, MailKind.Reset));

    public async Task<Results<Accepted<AcceptedResponse>, ValidationProblem, ProblemHttpResult>> HandleAsync(EndpointRequest<EmailRequest> request, MailKind kind)
    {
        if (!EmailAddress.TryCanonicalize(request.Body.Email!, out var email, out var emailProblem))
        {
            return Problems.Validation(new Dictionary<string, string[]> { ["email"] = [emailProblem] });
        }

        if (kind == MailKind.Confirm && await UnclaimedAccountOfCallerAsync(request.Context, email) is { } userId)
        {
            // The address does not find this account (it is not claimed): only its signed-in owner can ask for its link.
            await outbox.EnqueueAsync(outbox.NewRequest(MailKind.ClaimEmail, email) with { UserId = userId }, request.Aborted);
        }
        else
        {
            await outbox.RequestAsync(kind, email, request.Aborted);
        }

        return TypedResults.Accepted((string?)null, AcceptedResponse.Instance);
    }

    private async Task<string?> UnclaimedAccountOfCallerAsync(HttpContext context, string email) =>
        await authenticator.AuthenticateAsync(context) is { } caller
        && await users.FindByIdAsync(caller.UserId, emailHint: null, context.RequestAborted) is { EmailClaimed: false, EmailConfirmed: false } account
        && account.Email == email
            ? account.UserId
            : null;
}
