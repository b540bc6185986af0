using System.Text.Json;
using System.Text.Json.Serialization;

namespace Serverless.Auth.Http;

/// <summary>Body of signup and login. Fields are nullable so a missing one is a validation error, not a crash.</summary>
public sealed record CredentialsRequest(string? Email, string? Password);

public sealed record SignupResponse(string UserId, string Email);

public sealed record SessionResponse(string UserId, string Email, DateTimeOffset ExpiresAt)
{
    internal static SessionResponse For(Tokens.TokenSubject subject) => new(subject.UserId, subject.Email, subject.ExpiresAt);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, AllowDuplicateProperties = false)]
[JsonSerializable(typeof(CredentialsRequest))]
internal sealed partial class AuthJsonContext : JsonSerializerContext;
