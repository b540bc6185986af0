using System.Text.Json;
using System.Text.Json.Serialization;
using Serverless.Auth.Tokens;

namespace Serverless.Auth.Http;

// Request bodies: fields are nullable so a missing one is a validation error, not a crash.

/// <summary>Signup and login. <c>remember: false</c> makes both cookies browser-session cookies.</summary>
public sealed record CredentialsRequest(string? Email, string? Password, bool? Remember = null);

public sealed record PasswordChangeRequest(string? CurrentPassword, string? NewPassword);

public sealed record AccountDeleteRequest(string? Password);

public sealed record SessionRevokeRequest(string? SessionId);

// Responses.

public sealed record SignupResponse(string UserId, string Email);

public sealed record SessionResponse(string UserId, string Email, DateTimeOffset ExpiresAt)
{
    internal static SessionResponse For(TokenSubject subject) => new(subject.UserId, subject.Email, subject.ExpiresAt);
}

/// <summary>One signed-in device or browser; <c>current</c> marks the one asking.</summary>
public sealed record SessionInfo(string SessionId, DateTimeOffset CreatedAt, DateTimeOffset LastUsedAt, DateTimeOffset ExpiresAt, string UserAgent, bool Current);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, AllowDuplicateProperties = false)]
[JsonSerializable(typeof(CredentialsRequest))]
[JsonSerializable(typeof(PasswordChangeRequest))]
[JsonSerializable(typeof(AccountDeleteRequest))]
[JsonSerializable(typeof(SessionRevokeRequest))]
internal sealed partial class AuthJsonContext : JsonSerializerContext;
