namespace Serverless.Auth.Events;

/// <summary>What happened to an account or a session.</summary>
public enum AuthEventKind
{
    /// <summary>
    /// An account was created: by <c>POST /api/auth/signup</c> (with the session it started), or, with
    /// <c>Auth__Email__RequireConfirmed</c>, by the confirmation link of a pending registration (no session).
    /// </summary>
    SignedUp,

    /// <summary>A sign-in started a session (a password, a second step, a passkey, a provider: <see cref="AuthEvent.Detail"/>).</summary>
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

    /// <summary>The account was deleted, with its sessions (by its owner, or by an admin: <see cref="AuthEvent.Actor"/>).</summary>
    AccountDeleted,

    /// <summary>A wrong password (or an unknown address: no user id) at a login or a re-authentication.</summary>
    LoginFailed,

    /// <summary>A password check refused by the per-account or per-device backoff.</summary>
    LoginThrottled,

    /// <summary>A retired refresh token was presented: the whole session was ended.</summary>
    RefreshReuseDetected,

    /// <summary>A reset link was mailed (an unknown or disabled address raises nothing: the request answers alike).</summary>
    PasswordResetRequested,

    /// <summary>An email change was requested: the link went to the new address.</summary>
    EmailChangeRequested,

    /// <summary>An admin disabled the account: every session ended, no sign-in until enabled.</summary>
    AccountDisabled,

    /// <summary>An admin enabled the account again.</summary>
    AccountEnabled,

    /// <summary>A TOTP factor was turned on.</summary>
    MfaEnabled,

    /// <summary>The TOTP factor was turned off.</summary>
    MfaDisabled,

    /// <summary>New recovery codes were made (the old ones stopped working).</summary>
    MfaRecoveryCodesCreated,

    /// <summary>A wrong code at the second step of a sign-in.</summary>
    MfaFailed,

    /// <summary>A passkey was added.</summary>
    PasskeyAdded,

    /// <summary>A passkey was deleted.</summary>
    PasskeyRemoved,

    /// <summary>A provider identity (social sign-in) was linked to the account.</summary>
    OidcLinked,

    /// <summary>A provider identity was unlinked.</summary>
    OidcUnlinked,

    /// <summary>An admin looked an account up by its address.</summary>
    AdminUserFound,

    /// <summary>An admin read an account's summary.</summary>
    AdminUserViewed,

    /// <summary>An admin read the fleet event log.</summary>
    AdminEventsListed,

    /// <summary>An admin ended every session of the account.</summary>
    AdminSignedOut,

    /// <summary>An admin sent the account's confirmation mail again.</summary>
    AdminResentConfirmation,
}

/// <summary>The stable names of the event kinds, as stored, logged and answered (<c>login.succeeded</c>, <c>admin.signout</c>...).</summary>
public static class AuthEventTypes
{
    private static readonly Dictionary<AuthEventKind, string> Names = new()
    {
        [AuthEventKind.SignedUp] = "signup",
        [AuthEventKind.SignedIn] = "login.succeeded",
        [AuthEventKind.SignedOut] = "logout",
        [AuthEventKind.SignedOutEverywhere] = "logout_all",
        [AuthEventKind.SessionRevoked] = "session.revoked",
        [AuthEventKind.PasswordChanged] = "password.changed",
        [AuthEventKind.PasswordReset] = "password.reset",
        [AuthEventKind.EmailConfirmed] = "email.confirmed",
        [AuthEventKind.EmailChanged] = "email.changed",
        [AuthEventKind.AccountDeleted] = "account.deleted",
        [AuthEventKind.LoginFailed] = "login.failed",
        [AuthEventKind.LoginThrottled] = "login.throttled",
        [AuthEventKind.RefreshReuseDetected] = "refresh.reuse_detected",
        [AuthEventKind.PasswordResetRequested] = "password.reset_requested",
        [AuthEventKind.EmailChangeRequested] = "email.change_requested",
        [AuthEventKind.AccountDisabled] = "account.disabled",
        [AuthEventKind.AccountEnabled] = "account.enabled",
        [AuthEventKind.MfaEnabled] = "mfa.enabled",
        [AuthEventKind.MfaDisabled] = "mfa.disabled",
        [AuthEventKind.MfaRecoveryCodesCreated] = "mfa.recovery_codes_created",
        [AuthEventKind.MfaFailed] = "mfa.failed",
        [AuthEventKind.PasskeyAdded] = "passkey.added",
        [AuthEventKind.PasskeyRemoved] = "passkey.removed",
        [AuthEventKind.OidcLinked] = "oidc.linked",
        [AuthEventKind.OidcUnlinked] = "oidc.unlinked",
        [AuthEventKind.AdminUserFound] = "admin.user_found",
        [AuthEventKind.AdminUserViewed] = "admin.user_viewed",
        [AuthEventKind.AdminEventsListed] = "admin.events_listed",
        [AuthEventKind.AdminSignedOut] = "admin.signout",
        [AuthEventKind.AdminResentConfirmation] = "admin.resend_confirmation",
    };

    private static readonly Dictionary<string, AuthEventKind> Kinds = Names.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);

    /// <summary>Every type name, in the order of <see cref="AuthEventKind"/>.</summary>
    public static IReadOnlyList<string> All { get; } = [.. Enum.GetValues<AuthEventKind>().Select(NameOf)];

    /// <summary>The stored name of a kind.</summary>
    public static string NameOf(AuthEventKind kind) => Names[kind];

    /// <summary>The kind a stored name stands for.</summary>
    public static bool TryParse(string? name, out AuthEventKind kind) => Kinds.TryGetValue(name ?? "", out kind);

    /// <summary>
    /// An admin's read (a look-up, a summary, the fleet log): recorded in the fleet log only, not in the user's own
    /// activity, which it would only fill with the operator's address and browser.
    /// </summary>
    public static bool IsAdminRead(AuthEventKind kind) =>
        kind is AuthEventKind.AdminUserFound or AuthEventKind.AdminUserViewed or AuthEventKind.AdminEventsListed;

    /// <summary>Whether the event reports a failure (its outcome): a refused credential or a detected token reuse.</summary>
    public static bool IsFailure(AuthEventKind kind) =>
        kind is AuthEventKind.LoginFailed or AuthEventKind.LoginThrottled or AuthEventKind.MfaFailed or AuthEventKind.RefreshReuseDetected;
}

/// <summary>
/// One account event, raised once the change it reports is stored. Carries no address, password or token: a sink that
/// needs more about the account looks it up by <see cref="UserId"/>.
/// </summary>
/// <param name="Kind">What happened.</param>
/// <param name="UserId">The account's id: the <c>sub</c> claim and the <c>userId</c> of the API's answers; empty for a failed login of an unknown address.</param>
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
public sealed record AuthEvent(AuthEventKind Kind, string UserId, string? SessionId, DateTimeOffset OccurredAt, string? ClientIp)
{
    /// <summary>The stable name (<see cref="AuthEventTypes"/>): <c>login.succeeded</c>, <c>account.disabled</c>...</summary>
    public string Type => AuthEventTypes.NameOf(Kind);

    /// <summary><c>failure</c> for a refused credential or a detected reuse (<see cref="AuthEventTypes.IsFailure"/>), else <c>success</c>.</summary>
    public string Outcome => AuthEventTypes.IsFailure(Kind) ? "failure" : "success";

    /// <summary>The client's User-Agent header, at most 256 characters; null when it sent none.</summary>
    public string? UserAgent { get; init; }

    /// <summary>
    /// A short, non-secret qualifier: how a sign-in was made (<c>password</c>, <c>passkey</c>, <c>oidc:google</c>, or after a
    /// second step the session's methods, e.g. <c>pwd otp mfa</c>), which second factor failed (<c>totp</c>, <c>recovery</c>,
    /// <c>passkey</c>), which provider was linked, why a login failed (<c>password</c>, <c>no_account</c>,
    /// <c>account_disabled</c>, <c>reauthentication</c>). Never an address, code or token.
    /// </summary>
    public string? Detail { get; init; }

    /// <summary>For an admin's action: the admin token's subject (<c>sub</c>, or <c>oid</c> when present); else null.</summary>
    public string? Actor { get; init; }
}

/// <summary>
/// Receives the account events (<see cref="AuthEventKind"/>), for a security log, an audit trail or a notification.
/// Register any number with the container (e.g. <c>AddSingleton&lt;IAuthEventSink, MySink&gt;()</c>, before or after
/// <see cref="ServerlessAuthExtensions.AddServerlessAuth"/>); they are resolved from the request's services, so a scoped
/// sink works too. None registered costs nothing.
/// </summary>
/// <remarks>
/// <para>
/// Every sink is called once per event, all of them at once (and alongside the stored event log), after the change is
/// stored and before the answer is sent, so an event is never raised for a change that failed, and a client that has
/// its answer knows the sinks ran. The exception: a refused credential (<see cref="AuthEventTypes.IsFailure"/>) is
/// handled while the answer goes out, since what is written for it depends on whether the address has an account, and
/// that must not show in how long the answer takes. A mail sent from the queue (<c>password.reset_requested</c>) raises
/// its event when it is sent, with no client address.
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
