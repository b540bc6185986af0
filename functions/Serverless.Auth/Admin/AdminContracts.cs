namespace Serverless.Auth.Http;

// The admin API's and the activity route's bodies.

/// <summary>One security event of the caller's (<c>GET /api/auth/activity</c>).</summary>
/// <param name="Type">The event type: <c>login.succeeded</c>, <c>password.changed</c>, <c>account.disabled</c>...</param>
/// <param name="At">When it happened.</param>
/// <param name="IpPrefix">The client's address truncated (IPv4 /24, IPv6 /48), or null.</param>
/// <param name="UserAgent">The client's User-Agent (at most 256 characters), or null.</param>
/// <param name="Current">Whether it concerns the session making this request.</param>
public sealed record ActivityEvent(string Type, DateTimeOffset At, string? IpPrefix, string? UserAgent, bool Current);

/// <summary>Find an account by its address (in a body, so addresses stay out of URLs and request logs).</summary>
public sealed record AdminFindRequest(string? Email) : IRequiredFields
{
    IEnumerable<(string Field, string Label, string? Value)> IRequiredFields.RequiredFields => [("email", "Email", Email?.Trim())];
}

/// <summary>What signs an account in.</summary>
/// <param name="Password">Whether it has a password.</param>
/// <param name="Totp">Whether TOTP is on.</param>
/// <param name="RecoveryCodes">Recovery codes left (0 without TOTP).</param>
/// <param name="Passkeys">How many passkeys.</param>
/// <param name="Providers">The linked social sign-in providers.</param>
public sealed record AdminFactors(bool Password, bool Totp, int RecoveryCodes, int Passkeys, string[] Providers);

/// <summary>An account as the admin API shows it: no secret, no hash, no token.</summary>
/// <param name="UserId">The account's id.</param>
/// <param name="Email">Its address.</param>
/// <param name="Status"><c>active</c> or <c>disabled</c>.</param>
/// <param name="EmailConfirmed">Whether the address is confirmed.</param>
/// <param name="Disabled">Whether an admin disabled it.</param>
/// <param name="CreatedAt">When it was created (null for accounts stored before this was recorded).</param>
/// <param name="LastSignInAt">Its last sign-in, from its event log or its sessions (null: none known).</param>
/// <param name="Factors">What signs it in.</param>
/// <param name="Sessions">How many live sessions it has.</param>
public sealed record AdminUser(
    string UserId, string Email, string Status, bool EmailConfirmed, bool Disabled, DateTimeOffset? CreatedAt, DateTimeOffset? LastSignInAt,
    AdminFactors Factors, int Sessions);

/// <summary>One event of the fleet log (<c>GET /api/auth/admin/events</c>): never an address, password, code or token.</summary>
/// <param name="Type">The event type.</param>
/// <param name="At">When it happened.</param>
/// <param name="UserId">The account's id (empty for a failed login of an unknown address).</param>
/// <param name="SessionId">The session it concerns, if any.</param>
/// <param name="IpPrefix">The client's address truncated (IPv4 /24, IPv6 /48).</param>
/// <param name="UserAgent">The client's User-Agent (at most 256 characters).</param>
/// <param name="Outcome"><c>success</c> or <c>failure</c>.</param>
/// <param name="Detail">A short qualifier: the sign-in method, the provider, why a login failed.</param>
/// <param name="Actor">For an admin's action, the admin's subject.</param>
public sealed record AdminEvent(
    string Type, DateTimeOffset At, string UserId, string? SessionId, string? IpPrefix, string? UserAgent, string Outcome, string? Detail, string? Actor);

/// <summary>A page of the fleet log, oldest first.</summary>
/// <param name="Events">At most 100 events.</param>
/// <param name="Next">The <c>cursor</c> of the next page, or null at the end.</param>
public sealed record AdminEventPage(AdminEvent[] Events, string? Next);
