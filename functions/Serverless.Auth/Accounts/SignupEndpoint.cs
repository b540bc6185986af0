using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Serverless.Auth.Cookies;
using Serverless.Auth.Email;
using Serverless.Auth.Events;
using Serverless.Auth.Http;
using Serverless.Auth.Sessions;
using Serverless.Auth.Throttling;

namespace Serverless.Auth.Accounts;

/// <summary><c>POST /api/auth/signup</c>: create an account, ask for the confirmation mail and start a session; when confirmation is required, only a pending registration whose link creates the account.</summary>
internal sealed class SignupEndpoint(
    AccountService accounts,
    SessionService sessions,
    SessionCookies cookies,
    DeviceCookies devices,
    MailOutbox outbox,
    AuthEvents events,
    IOptions<EmailOptions> email)
{
    private readonly bool requireConfirmed = email.Value.RequireConfirmed;

    public static readonly EndpointDeclaration Declaration = EndpointDeclaration.For(
        new Operation
        {
            Summary = "Sign up",
            Description = "Creates an account, sends a confirmation mail and starts a session: sets the HttpOnly access and refresh cookies. The password must meet the "
                + "policy (errors.password says why not). With Auth__Email__RequireConfirmed: 202 and no cookie for a new and a registered address alike, "
                + "instead of 201 and 409; no account yet: the link in the confirmation mail creates it (the owner of a registered address gets a mail "
                + "saying someone tried, and the password stays as it was).",
            RateLimit = RateLimitedAction.Signup,
            Answers = [StatusCodes.Status409Conflict],
        },
        static (SignupEndpoint endpoint, EndpointRequest<CredentialsRequest> request) => endpoint.HandleAsync(request));

    public async Task<Results<Created<SignupResponse>, Accepted<AcceptedResponse>, ValidationProblem, ProblemHttpResult>> HandleAsync(EndpointRequest<CredentialsRequest> request)
    {
        var (context, credentials, cancellationToken) = (request.Context, request.Body, request.Aborted);

        var result = await accounts.SignupAsync(credentials.Email!, credentials.Password!, requireConfirmed, cancellationToken);
        switch (result)
        {
            case SignupResult.Invalid(var errors):
                return Problems.Validation(errors);
            case SignupResult.EmailTaken:
                return Problems.EmailTaken();
            case SignupResult.Pending:
                // The same for a free and a registered address: the sender mails the link, or tells the owner of the attempt.
                return TypedResults.Accepted((string?)null, AcceptedResponse.Instance);
        }

        var (userId, email) = (SignupResult.SignedUp)result;
        await outbox.RequestAfterSignupAsync(MailKind.Confirm, email, cancellationToken);
        var deviceId = DeviceCookies.NewDeviceId();
        var issued = await sessions.StartAsync(userId, email, emailConfirmed: false, credentials.Remember ?? true, context.Request.Headers.UserAgent, cancellationToken, deviceId);
        cookies.Append(context.Response, issued, sessions.ExpiryOf(issued.Session));
        devices.Issue(context.Response, EmailAddress.StorageKey(email), userId, deviceId, UserRepository.FirstDevice);
        await events.RaiseAsync(context, AuthEventKind.SignedUp, userId, issued.Session.SessionId);
        return TypedResults.Created((string?)null, new SignupResponse(userId, email, EmailConfirmed: false));
    }
}
