using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Serverless.Auth.Cookies;
using Serverless.Auth.Http;

namespace Serverless.Auth.Sessions;

/// <summary><c>GET /api/auth/verify</c>: who is signed in. Storage-free on the hot path (revocations are held in memory).</summary>
internal sealed class VerifyEndpoint(Authenticator authenticator, SessionCookies cookies)
{
    public static readonly EndpointDeclaration Declaration = EndpointDeclaration.For(
        new Operation
        {
            Summary = "Who is signed in",
            Description = "Validates the access cookie, or an Authorization: Bearer token (which wins when both are sent), and answers who it speaks for. "
                + "On 401 a browser calls refresh once, then retries.",
            ChecksOrigin = false,
            Answers = [StatusCodes.Status401Unauthorized],
        },
        static (VerifyEndpoint endpoint, EndpointRequest<NoBody> request) => endpoint.HandleAsync(request));

    public async Task<Results<Ok<SessionResponse>, ProblemHttpResult>> HandleAsync(EndpointRequest<NoBody> request)
    {
        var context = request.Context;

        if (await authenticator.AuthenticateAsync(context) is { } subject)
        {
            return TypedResults.Ok(SessionResponse.For(subject));
        }

        if (authenticator.SentAccessCookie(context.Request))
        {
            // A dead access cookie helps no one: tell the browser to drop it (the refresh cookie stays).
            cookies.Access.Clear(context.Response);
        }

        return Authenticator.NotAuthenticated(context.Response);
    }
}
