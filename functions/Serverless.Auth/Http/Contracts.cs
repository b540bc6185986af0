using System.Text.Json;
using System.Text.Json.Serialization;
using Serverless.Auth.Tokens;

namespace Serverless.Auth.Http;

// Request bodies: fields are nullable so a missing one is a validation error, not a crash; each names its
// required fields (EndpointChecks answers 400 listing every missing one).

/// <summary>Signup and login. <c>remember: false</c> makes both cookies browser-session cookies.</summary>
public sealed record CredentialsRequest(string? Email, string? Password, bool? Remember = null) : IRequiredFields
{
    IEnumerable<(string Field, string Label, string? Value)> IRequiredFields.RequiredFields => [("email", "Email", Email?.Trim()), ("password", "Password", Password)];
}

/// <summary>Change the signed-in user's password.</summary>
/// <param name="CurrentPassword">The password now in use (re-authentication).</param>
/// <param name="NewPassword">The new password; the password policy applies.</param>
public sealed record PasswordChangeRequest(string? CurrentPassword, string? NewPassword) : IRequiredFields
{
    IEnumerable<(string Field, string Label, string? Value)> IRequiredFields.RequiredFields => [("currentPassword", "Current password", CurrentPassword), ("newPassword", "New password", NewPassword)];
}

/// <summary>Delete the signed-in user's account.</summary>
/// <param name="Password">The current password (re-authentication).</param>
public sealed record AccountDeleteRequest(string? Password) : IRequiredFields
{
    IEnumerable<(string Field, string Label, string? Value)> IRequiredFields.RequiredFields => [("password", "Password", Password)];
}

/// <summary>End one of the signed-in user's sessions.</summary>
/// <param name="SessionId">The session's id, as the session list and the <c>sid</c> claim give it.</param>
public sealed record SessionRevokeRequest(string? SessionId) : IRequiredFields
{
    IEnumerable<(string Field, string Label, string? Value)> IRequiredFields.RequiredFields => [("sessionId", "Session id", SessionId)];
}

/// <summary>Resend the confirmation mail, or send a password-reset mail.</summary>
public sealed record EmailRequest(string? Email) : IRequiredFields
{
    IEnumerable<(string Field, string Label, string? Value)> IRequiredFields.RequiredFields => [("email", "Email", Email?.Trim())];
}

/// <summary>The token from a confirmation link.</summary>
public sealed record EmailConfirmRequest(string? Token) : IRequiredFields
{
    IEnumerable<(string Field, string Label, string? Value)> IRequiredFields.RequiredFields => [("token", "Token", Token)];
}

/// <summary>Change the signed-in user's address: the new one, and the current password.</summary>
public sealed record EmailChangeRequest(string? NewEmail, string? Password) : IRequiredFields
{
    IEnumerable<(string Field, string Label, string? Value)> IRequiredFields.RequiredFields => [("newEmail", "New email", NewEmail?.Trim()), ("password", "Password", Password)];
}

/// <summary>The token from a reset link, and the new password.</summary>
public sealed record PasswordResetRequest(string? Token, string? NewPassword) : IRequiredFields
{
    IEnumerable<(string Field, string Label, string? Value)> IRequiredFields.RequiredFields => [("token", "Token", Token), ("newPassword", "New password", NewPassword)];
}

// Responses.

/// <summary>A new account (its session is in the cookies).</summary>
/// <param name="UserId">The account's id: the <c>sub</c> claim, stable across email changes.</param>
/// <param name="Email">The address as stored (canonical form).</param>
/// <param name="EmailConfirmed">Whether the address is confirmed.</param>
public sealed record SignupResponse(string UserId, string Email, bool EmailConfirmed);

/// <summary>The signed-in user and when the access token expires.</summary>
/// <param name="UserId">The account's id (<c>sub</c>).</param>
/// <param name="Email">The account's address.</param>
/// <param name="ExpiresAt">When the access token expires (refresh before or on 401).</param>
/// <param name="EmailConfirmed">Whether the address is confirmed.</param>
public sealed record SessionResponse(string UserId, string Email, DateTimeOffset ExpiresAt, bool EmailConfirmed)
{
    internal static SessionResponse For(TokenSubject subject) => new(subject.UserId, subject.Email, subject.ExpiresAt, subject.EmailConfirmed);
}

/// <summary>The answer of the confirmation link.</summary>
public sealed record EmailConfirmedResponse(string UserId, string Email, bool EmailConfirmed);

/// <summary>
/// 202 for every mail request (and for signup when confirmation is required): the same body whether
/// or not the address has an account, so the answer reveals nothing.
/// </summary>
public sealed record AcceptedResponse(string Status)
{
    internal static AcceptedResponse Instance { get; } = new("accepted");
}

/// <summary>One signed-in device or browser; <c>current</c> marks the one asking.</summary>
public sealed record SessionInfo(string SessionId, DateTimeOffset CreatedAt, DateTimeOffset LastUsedAt, DateTimeOffset ExpiresAt, string UserAgent, bool Current);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, AllowDuplicateProperties = false)]
[JsonSerializable(typeof(CredentialsRequest))]
[JsonSerializable(typeof(PasswordChangeRequest))]
[JsonSerializable(typeof(AccountDeleteRequest))]
[JsonSerializable(typeof(SessionRevokeRequest))]
[JsonSerializable(typeof(EmailRequest))]
[JsonSerializable(typeof(EmailConfirmRequest))]
[JsonSerializable(typeof(PasswordResetRequest))]
[JsonSerializable(typeof(EmailChangeRequest))]
internal sealed partial class AuthJsonContext : JsonSerializerContext;
