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
/// <param name="Code">With a second factor: a TOTP code, unless this session checked one within <c>Auth__Mfa__StepUpSeconds</c>.</param>
/// <param name="RecoveryCode">A recovery code instead of a code.</param>
public sealed record PasswordChangeRequest(string? CurrentPassword, string? NewPassword, string? Code = null, string? RecoveryCode = null) : IRequiredFields, Mfa.ISecondFactorAnswer
{
    IEnumerable<(string Field, string Label, string? Value)> IRequiredFields.RequiredFields => [("currentPassword", "Current password", CurrentPassword), ("newPassword", "New password", NewPassword)];
}

/// <summary>Delete the signed-in user's account.</summary>
/// <param name="Password">The current password (re-authentication); left out for an account without one, within the step-up window of a sign-in.</param>
/// <param name="Code">With a second factor: a TOTP code, unless this session checked one within <c>Auth__Mfa__StepUpSeconds</c>.</param>
/// <param name="RecoveryCode">A recovery code instead of a code.</param>
public sealed record AccountDeleteRequest(string? Password = null, string? Code = null, string? RecoveryCode = null) : Mfa.ISecondFactorAnswer;

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
/// <param name="NewEmail">The new address.</param>
/// <param name="Password">The current password; left out for an account without one, within the step-up window of a sign-in.</param>
/// <param name="Code">With a second factor: a TOTP code, unless this session checked one within <c>Auth__Mfa__StepUpSeconds</c>.</param>
/// <param name="RecoveryCode">A recovery code instead of a code.</param>
public sealed record EmailChangeRequest(string? NewEmail, string? Password = null, string? Code = null, string? RecoveryCode = null) : IRequiredFields, Mfa.ISecondFactorAnswer
{
    IEnumerable<(string Field, string Label, string? Value)> IRequiredFields.RequiredFields => [("newEmail", "New email", NewEmail?.Trim())];
}

/// <summary>The token from a reset link, and the new password.</summary>
public sealed record PasswordResetRequest(string? Token, string? NewPassword) : IRequiredFields
{
    IEnumerable<(string Field, string Label, string? Value)> IRequiredFields.RequiredFields => [("token", "Token", Token), ("newPassword", "New password", NewPassword)];
}

/// <summary>A second factor: a TOTP code, or instead one of the recovery codes, or a passkey's answer (at sign-in).</summary>
/// <param name="Code">The 6-digit code the authenticator app shows.</param>
/// <param name="RecoveryCode">A recovery code (<c>xxxxx-xxxxx</c>), usable once, instead of a code.</param>
/// <param name="Credential">At <c>POST /api/auth/mfa/verify</c>: what <c>navigator.credentials.get()</c> gave for the options of <c>POST /api/auth/mfa/passkey/options</c>, instead of a code.</param>
public sealed record MfaCodeRequest(string? Code = null, string? RecoveryCode = null, PasskeyCredential? Credential = null) : IRequiredFields, Mfa.ISecondFactorAnswer
{
    IEnumerable<(string Field, string Label, string? Value)> IRequiredFields.RequiredFields =>
        string.IsNullOrEmpty(RecoveryCode) && Credential is null ? [("code", "Code", Code)] : [];
}

/// <summary>The password (re-authentication) to set up a TOTP factor; left out for an account without one, within the step-up window of a sign-in.</summary>
public sealed record MfaSetupRequest(string? Password = null);

/// <summary>The password and a second factor, for disabling TOTP or new recovery codes.</summary>
/// <param name="Password">The current password.</param>
/// <param name="Code">A TOTP code (not needed when this session checked one within <c>Auth__Mfa__StepUpSeconds</c>).</param>
/// <param name="RecoveryCode">A recovery code instead of a code.</param>
public sealed record MfaChangeRequest(string? Password, string? Code = null, string? RecoveryCode = null) : Mfa.ISecondFactorAnswer;

// Responses.

/// <summary>A TOTP factor set up but not active: confirm it with a code (<c>POST /api/auth/mfa/totp/enable</c>).</summary>
/// <param name="Secret">The secret, base32, for typing into an app. Shown now only; never returned again.</param>
/// <param name="OtpauthUri">The <c>otpauth://</c> URI the QR code carries.</param>
/// <param name="QrSvg">The QR code of <c>otpauthUri</c> as an SVG document.</param>
public sealed record MfaSetupResponse(string Secret, string OtpauthUri, string QrSvg);

/// <summary>Recovery codes, shown once: each signs in once instead of a code.</summary>
public sealed record RecoveryCodesResponse(IReadOnlyList<string> RecoveryCodes);

/// <summary>The signed-in user's second factors.</summary>
/// <param name="Totp">Whether a TOTP factor is active.</param>
/// <param name="RecoveryCodesLeft">Unused recovery codes.</param>
/// <param name="Passkeys">Registered passkeys.</param>
public sealed record MfaStatusResponse(bool Totp, int RecoveryCodesLeft, int Passkeys);

/// <summary>A new account (its session is in the cookies).</summary>
/// <param name="UserId">The account's id: the <c>sub</c> claim, stable across email changes.</param>
/// <param name="Email">The address as stored (canonical form).</param>
/// <param name="EmailConfirmed">Whether the address is confirmed.</param>
public sealed record SignupResponse(string UserId, string Email, bool EmailConfirmed);

/// <summary>
/// A sign-in's answer: <c>status: "signed_in"</c>, the signed-in user and when the access token expires; or, after the
/// right password for an account with a second factor, <c>status: "mfa_required"</c> with the second step's
/// <c>methods</c> and when the step expires (and no user fields: no session exists yet).
/// </summary>
/// <param name="Status"><c>signed_in</c> or <c>mfa_required</c>.</param>
/// <param name="UserId">The account's id (<c>sub</c>); absent while a second step is pending.</param>
/// <param name="Email">The account's address; absent while a second step is pending.</param>
/// <param name="ExpiresAt">When the access token expires (refresh before or on 401); for <c>mfa_required</c>, when the second step expires.</param>
/// <param name="EmailConfirmed">Whether the address is confirmed; absent while a second step is pending.</param>
/// <param name="Amr">
/// How the session was signed in (RFC 8176): <c>["pwd"]</c>, <c>["pwd","otp","mfa"]</c>, for a recovery code <c>["pwd","mfa","rcv"]</c>
/// (<c>rcv</c> is a local value), for a passkey <c>["swk","mfa"]</c> (synced) or <c>["hwk","mfa"]</c>, or <c>["pwd","swk","mfa"]</c> /
/// <c>["pwd","hwk","mfa"]</c> for a passkey as the second step.
/// </param>
/// <param name="Methods">For <c>mfa_required</c>: what <c>POST /api/auth/mfa/verify</c> accepts (<c>totp</c>, <c>passkey</c>, <c>recovery</c>).</param>
public sealed record SessionResponse(
    string Status,
    DateTimeOffset ExpiresAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? UserId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Email = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? EmailConfirmed = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Amr = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Methods = null)
{
    internal const string SignedIn = "signed_in";
    internal const string MfaRequired = "mfa_required";
    internal const string Linked = "linked";

    internal static SessionResponse For(TokenSubject subject) => new(SignedIn, subject.ExpiresAt, subject.UserId, subject.Email, subject.EmailConfirmed, subject.Amr);

    internal static SessionResponse SecondStep(IReadOnlyList<string> methods, DateTimeOffset expiresAt) => new(MfaRequired, expiresAt, Methods: methods);
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
[JsonSerializable(typeof(MfaCodeRequest))]
[JsonSerializable(typeof(MfaSetupRequest))]
[JsonSerializable(typeof(MfaChangeRequest))]
[JsonSerializable(typeof(PasskeyRegisterOptionsRequest))]
[JsonSerializable(typeof(PasskeyRegisterRequest))]
[JsonSerializable(typeof(PasskeyLoginRequest))]
[JsonSerializable(typeof(PasskeyRenameRequest))]
[JsonSerializable(typeof(PasskeyDeleteRequest))]
[JsonSerializable(typeof(OidcExchangeRequest))]
[JsonSerializable(typeof(OidcLinkRequest))]
[JsonSerializable(typeof(IdentityUnlinkRequest))]
[JsonSerializable(typeof(AdminFindRequest))]
internal sealed partial class AuthJsonContext : JsonSerializerContext;
