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
internal sealed class MailRequestEndpoint(RequestGate gate, MailOutbox outbox)
{
    private const string Accepted = "Always 202 with the same body for a well-formed address, whether or not it has an account "
        + "(nothing to enumerate); the mail goes out from a queue, at most one of a kind per account per cooldown.";

    private static readonly int[] ProblemStatuses =
    [
        StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status413PayloadTooLarge,
        StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status429TooManyRequests, StatusCodes.Status503ServiceUnavailable,
    ];

    public static readonly AuthEndpoint Resend = Declare.Post(
        "EmailResend", AuthRoutes.EmailResend, "Resend the confirmation mail",
        "Sends a new confirmation link if the address has an unconfirmed account. " + Accepted,
        static (MailRequestEndpoint endpoint, HttpContext context) => endpoint.HandleAsync(context, MailKind.Confirm),
        typeof(EmailRequest),
        ProblemStatuses);

    public static readonly AuthEndpoint Forgot = Declare.Post(
        "PasswordForgot", AuthRoutes.PasswordForgot, "Forgot password",
        "Sends a password-reset link if the address has an account; a newer link voids older ones. " + Accepted,
        static (MailRequestEndpoint endpoint, HttpContext context) => endpoint.HandleAsync(context, MailKind.Reset),
        typeof(EmailRequest),
        ProblemStatuses);

    public async Task<Results<Accepted<AcceptedResponse>, ValidationProblem, ProblemHttpResult>> HandleAsync(HttpContext context, MailKind kind)
    {
        var (request, problem) = await gate.ReadAsync(context, RateLimitedAction.Email, AuthJsonContext.Default.EmailRequest);
        if ((problem ?? RequestGate.Required(("email", "Email", request!.Email?.Trim()))) is { } refused)
        {
            return refused;
        }

        if (!EmailAddress.TryCanonicalize(request!.Email!, out var email, out var emailProblem))
        {
            return Problems.Validation(new Dictionary<string, string[]> { ["email"] = [emailProblem] });
        }

        await outbox.RequestAsync(kind, email, context.RequestAborted);
        return TypedResults.Accepted((string?)null, AcceptedResponse.Instance);
    }
}
