using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Serverless.Auth.Cookies;
using Serverless.Auth.Http;
using Serverless.Auth.Sessions;
using Serverless.Auth.Throttling;

namespace Serverless.Auth.Email;

/// <summary><c>POST /api/auth/email/confirm</c>: the token from the confirmation link; the frontend posts it.</summary>
internal sealed class EmailConfirmEndpoint(RequestGate gate, MailLinks links, Authenticator authenticator, SessionService sessions, SessionCookies cookies)
{
    public static readonly AuthEndpoint Declaration = Declare.Post(
        "EmailConfirm", AuthRoutes.EmailConfirm, "Confirm the email address",
        "Confirms the address with the token from the confirmation link (single use). When the request carries a valid session of "
        + "the same user, fresh session cookies come with the answer, so verify shows emailConfirmed at once; other sessions show it "
        + "from their next refresh. One generic 400 for an unknown, expired or used token.",
        static (EmailConfirmEndpoint endpoint, HttpContext context) => endpoint.HandleAsync(context),
        typeof(EmailConfirmRequest),
        StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status413PayloadTooLarge,
        StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status429TooManyRequests, StatusCodes.Status503ServiceUnavailable);

    public async Task<Results<Ok<EmailConfirmedResponse>, ProblemHttpResult>> HandleAsync(HttpContext context)
    {
        var (request, problem) = await gate.ReadAsync(context, RateLimitedAction.Email, AuthJsonContext.Default.EmailConfirmRequest);
        if ((problem ?? RequestGate.Required(("token", "Token", request!.Token))) is { } refused)
        {
            return refused;
        }

        var cancellationToken = context.RequestAborted;
        if (await links.ConfirmAsync(request!.Token!, cancellationToken) is not { } account)
        {
            return Problems.InvalidMailToken();
        }

        if (await authenticator.AuthenticateAsync(context) is { } subject && subject.UserId == account.UserId
            && await sessions.ReissueAsync(subject.UserId, subject.SessionId, cancellationToken) is { } issued)
        {
            cookies.Append(context.Response, issued, sessions.ExpiryOf(issued.Session));
        }

        return TypedResults.Ok(new EmailConfirmedResponse(account.UserId, account.Email, EmailConfirmed: true));
    }
}
