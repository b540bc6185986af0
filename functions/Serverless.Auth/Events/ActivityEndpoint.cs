using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Serverless.Auth.Http;
using Serverless.Auth.Throttling;

namespace Serverless.Auth.Events;

/// <summary><c>GET /api/auth/activity</c>: the signed-in user's recent security events.</summary>
internal sealed class ActivityEndpoint(EventLog log, TimeProvider time)
{
    public const int MaxEvents = 50;

    public static readonly EndpointDeclaration Declaration = EndpointDeclaration.For(
        new Operation
        {
            Summary = "My recent security activity",
            Description = "The signed-in user's last 50 security events within Auth__Events__RetentionDays, newest first: type (signup, login.succeeded, "
                + "login.failed, password.changed, mfa.enabled, admin actions such as account.disabled...), when, the client's address truncated "
                + "(IPv4 /24, IPv6 /48), its User-Agent, and current for the events of the session making the request. Only the caller's own events.",
            RateLimit = RateLimitedAction.Credentials,
            RequiresSession = true,
        },
        static (ActivityEndpoint endpoint, EndpointRequest<NoBody> request) => endpoint.HandleAsync(request));

    public async Task<Results<Ok<ActivityEvent[]>, ProblemHttpResult>> HandleAsync(EndpointRequest<NoBody> request)
    {
        var subject = request.Subject;
        var events = await log.ReadUserAsync(subject.UserId, time.GetUtcNow(), MaxEvents, request.Aborted);
        return TypedResults.Ok(events
            .Select(e => new ActivityEvent(e.Type, e.At, e.IpPrefix, e.UserAgent, e.SessionId is { } sid && sid == subject.SessionId))
            .ToArray());
    }
}
