namespace Serverless.Auth.Events;

/// <summary>What happened to an account or a session.</summary>
public enum AuthEventKind
{
    /// <summary>
    /// An account was created: by <c>POST /api/auth/signup</c> (with the session it started), or, with
    /// <c>Auth__Email__RequireConfirmed</c>, by the confirmation link of a pending registration (no session).
    /// </summary>
    SignedUp,

    /// <summary>The right password at <c>POST /api/auth/login</c> started a session. Failed logins raise no event.</summary>
    SignedIn,

    /// <summary><c>POST /api/auth/logout</c> ended a session: one event per session it ended.</summary>
    SignedOut,

    /// <summary><c>POST /api/auth/logout-all</c> ended every session of the account.</summary>
    SignedOutEverywhere,

    /// <summary><c>POST /api/auth/sessions/revoke</c> ended one session of the caller's (the event's session).</summary>
    SessionRevoked,

    /// <summary>The password was changed by its owner (every session ended; the caller got a new one).</summary>
    PasswordChanged,

    /// <summary>The password was set with a reset link (every session ended).</summary>
    PasswordReset,

    /// <summary>An existing account's address was confirmed with its link.</summary>
    EmailConfirmed,

    /// <summary>The account moved to a new address with the link mailed there.</summary>
    EmailChanged,

    /// <summary>The account was deleted, with its sessions.</summary>
    AccountDeleted,
}

/// <summary>
/// One account event, raised once the change it reports is stored. Carries no address, password or token: a sink that
/// needs more about the account looks it up by <see cref="UserId"/>.
/// </summary>
/// <param name="Kind">What happened.</param>
/// <param name="UserId">The account's id: the <c>sub</c> claim and the <c>userId</c> of the API's answers.</param>
/// <param name="SessionId">
/// The session it concerns, as the <c>sid</c> claim names it: the one started (<see cref="AuthEventKind.SignedUp"/>,
/// <see cref="AuthEventKind.SignedIn"/>) or ended (<see cref="AuthEventKind.SignedOut"/>,
/// <see cref="AuthEventKind.SessionRevoked"/>), or the caller's for a change a signed-in request made
/// (<see cref="AuthEventKind.SignedOutEverywhere"/>, <see cref="AuthEventKind.PasswordChanged"/>,
/// <see cref="AuthEventKind.AccountDeleted"/>); null for what a mailed link did.
/// </param>
/// <param name="OccurredAt">When the service raised it (its <see cref="TimeProvider"/>), just after the change was stored.</param>
/// <param name="ClientIp">
/// The client's IP address as the rate limits see it (the forwarded address only as far as
/// <c>Auth__Throttling__TrustedProxies</c> are trusted); null when the host knows none.
/// </param>
public sealed record AuthEvent(AuthEventKind Kind, string UserId, string? SessionId, DateTimeOffset OccurredAt, string? ClientIp);

/// <summary>
/// Receives the account events (<see cref="AuthEventKind"/>), for a security log, an audit trail or a notification.
/// Register any number with the container (e.g. <c>AddSingleton&lt;IAuthEventSink, MySink&gt;()</c>, before or after
/// <see cref="ServerlessAuthExtensions.AddServerlessAuth"/>); they are resolved from the request's services, so a scoped
/// sink works too. None registered costs nothing.
/// </summary>
/// <remarks>
/// <para>
/// Every sink is called once per event, all of them at once, after the change is stored and before the answer is
/// sent, so an event is never raised for a change that failed, and a client that has its answer knows the sinks ran.
/// </para>
/// <para>
/// A sink cannot change the answer: an exception it throws is logged (its type, the event kind and the user id) and
/// swallowed, and the request waits for it at most <c>Auth__Events__SinkTimeoutMilliseconds</c> (default 2000): then
/// the <c>cancellationToken</c> given to <see cref="HandleAsync"/> is canceled, a warning is logged and the answer
/// goes out. That token is not the request's: a client that hangs up after the change does not cancel its event. For
/// slow or failure-prone work (mail, a remote log), put the event on a queue of your own and return.
/// </para>
/// </remarks>
public interface IAuthEventSink
{
    /// <summary>Handles one event. Exceptions are logged and never reach the client.</summary>
    /// <param name="authEvent">The event.</param>
    /// <param name="cancellationToken">Canceled when the sink's time is up (<c>Auth__Events__SinkTimeoutMilliseconds</c>).</param>
    Task HandleAsync(AuthEvent authEvent, CancellationToken cancellationToken);
}
