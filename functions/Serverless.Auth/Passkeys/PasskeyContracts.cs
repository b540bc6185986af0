using System.Text.Json;
using System.Text.Json.Serialization;

namespace Serverless.Auth.Http;

// The passkey routes' bodies. Credentials and options are WebAuthn's JSON forms: what PublicKeyCredential.toJSON()
// gives, and what PublicKeyCredential.parseCreationOptionsFromJSON / parseRequestOptionsFromJSON take (binary fields
// base64url without padding).

/// <summary>A WebAuthn credential as <c>PublicKeyCredential.toJSON()</c> gives it (a registration's or an assertion's).</summary>
/// <param name="Id">The credential id, base64url.</param>
/// <param name="RawId">The same id, base64url.</param>
/// <param name="Type">Always <c>public-key</c>.</param>
/// <param name="Response">The authenticator's response.</param>
/// <param name="AuthenticatorAttachment"><c>platform</c> or <c>cross-platform</c>, when the browser says.</param>
/// <param name="ClientExtensionResults">The client extension outputs (not used).</param>
public sealed record PasskeyCredential(
    string? Id, string? RawId, string? Type, PasskeyCredentialResponse? Response, string? AuthenticatorAttachment = null, JsonElement? ClientExtensionResults = null);

/// <summary>An authenticator's response: a registration's (attestationObject, transports) or an assertion's (authenticatorData, signature, userHandle).</summary>
/// <param name="ClientDataJSON">base64url.</param>
/// <param name="AttestationObject">Registration: base64url CBOR.</param>
/// <param name="Transports">Registration: how the browser can reach the authenticator (internal, hybrid, usb, nfc, ble).</param>
/// <param name="AuthenticatorData">Assertion: base64url.</param>
/// <param name="Signature">Assertion: base64url.</param>
/// <param name="UserHandle">Assertion: base64url; the account's user handle, for a discoverable credential.</param>
public sealed record PasskeyCredentialResponse(
    string? ClientDataJSON,
    string? AttestationObject = null,
    IReadOnlyList<string>? Transports = null,
    string? AuthenticatorData = null,
    string? Signature = null,
    string? UserHandle = null);

/// <summary>Options for adding a passkey: the re-authentication, unless this session checked a second factor within <c>Auth__Mfa__StepUpSeconds</c>.</summary>
/// <param name="Password">The current password (not needed within the step-up window).</param>
/// <param name="Code">With TOTP on: a code (not needed within the step-up window).</param>
/// <param name="RecoveryCode">A recovery code instead of a code.</param>
public sealed record PasskeyRegisterOptionsRequest(string? Password = null, string? Code = null, string? RecoveryCode = null) : Mfa.ISecondFactorAnswer;

/// <summary>Add a passkey: the new credential, and a name for it.</summary>
/// <param name="Credential">What <c>navigator.credentials.create()</c> gave, as <c>toJSON()</c> makes it.</param>
/// <param name="Name">A name the user recognises it by, 1-64 characters; default "Passkey".</param>
public sealed record PasskeyRegisterRequest(PasskeyCredential? Credential, string? Name = null) : IRequiredFields
{
    IEnumerable<(string Field, string Label, string? Value)> IRequiredFields.RequiredFields => [("credential", "Credential", Credential is null ? null : "given")];
}

/// <summary>Sign in with a passkey.</summary>
/// <param name="Credential">What <c>navigator.credentials.get()</c> gave, as <c>toJSON()</c> makes it.</param>
/// <param name="Remember"><c>false</c> makes both cookies browser-session cookies.</param>
public sealed record PasskeyLoginRequest(PasskeyCredential? Credential, bool? Remember = null) : IRequiredFields
{
    IEnumerable<(string Field, string Label, string? Value)> IRequiredFields.RequiredFields => [("credential", "Credential", Credential is null ? null : "given")];
}

/// <summary>Rename one of my passkeys.</summary>
/// <param name="Id">The passkey's id (its credential id, base64url), as the list gives it.</param>
/// <param name="Name">The new name, 1-64 characters.</param>
public sealed record PasskeyRenameRequest(string? Id, string? Name) : IRequiredFields
{
    IEnumerable<(string Field, string Label, string? Value)> IRequiredFields.RequiredFields => [("id", "Id", Id), ("name", "Name", Name?.Trim())];
}

/// <summary>Delete one of my passkeys, with the re-authentication unless this session checked a second factor within <c>Auth__Mfa__StepUpSeconds</c>.</summary>
/// <param name="Id">The passkey's id, as the list gives it.</param>
/// <param name="Password">The current password (not needed within the step-up window).</param>
/// <param name="Code">With TOTP on: a code (not needed within the step-up window).</param>
/// <param name="RecoveryCode">A recovery code instead of a code.</param>
public sealed record PasskeyDeleteRequest(string? Id, string? Password = null, string? Code = null, string? RecoveryCode = null) : IRequiredFields, Mfa.ISecondFactorAnswer
{
    IEnumerable<(string Field, string Label, string? Value)> IRequiredFields.RequiredFields => [("id", "Id", Id)];
}

/// <summary>One of my passkeys.</summary>
/// <param name="Id">Its credential id, base64url.</param>
/// <param name="Name">The name it was given.</param>
/// <param name="CreatedAt">When it was added.</param>
/// <param name="LastUsedAt">When it last signed in, if ever.</param>
/// <param name="BackupEligible">Whether it can be synced (a synced passkey, RFC 8176 <c>swk</c>) rather than bound to one device (<c>hwk</c>).</param>
/// <param name="BackedUp">Whether it was backed up (synced) when last used.</param>
/// <param name="Transports">How the browser reaches its authenticator.</param>
public sealed record PasskeyInfo(string Id, string Name, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, bool BackupEligible, bool BackedUp, IReadOnlyList<string> Transports);

/// <summary>My passkeys, oldest first.</summary>
public sealed record PasskeyListResponse(IReadOnlyList<PasskeyInfo> Passkeys);

/// <summary>A credential descriptor (<c>excludeCredentials</c>, <c>allowCredentials</c>).</summary>
public sealed record PasskeyDescriptor(string Id, string Type, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Transports);

/// <summary>The relying party: the RP id and the name the browser shows.</summary>
public sealed record PasskeyRelyingParty(string Id, string Name);

/// <summary>The account a new passkey is for: the user handle (base64url of the user id's UTF-8), the address as the name.</summary>
public sealed record PasskeyUser(string Id, string Name, string DisplayName);

/// <summary>An algorithm the service accepts (COSE: -7 ES256, -257 RS256, -8 EdDSA).</summary>
public sealed record PasskeyAlgorithm(string Type, int Alg);

/// <summary>What the new passkey must be: discoverable (resident) and user-verifying.</summary>
public sealed record PasskeyAuthenticatorSelection(string ResidentKey, bool RequireResidentKey, string UserVerification);

/// <summary>Extensions asked for: <c>credProps</c> (whether the passkey is discoverable).</summary>
public sealed record PasskeyExtensions(bool CredProps);

/// <summary><c>PublicKeyCredentialCreationOptionsJSON</c>.</summary>
public sealed record PasskeyCreationOptions(
    PasskeyRelyingParty Rp,
    PasskeyUser User,
    string Challenge,
    IReadOnlyList<PasskeyAlgorithm> PubKeyCredParams,
    long Timeout,
    IReadOnlyList<PasskeyDescriptor> ExcludeCredentials,
    PasskeyAuthenticatorSelection AuthenticatorSelection,
    string Attestation,
    PasskeyExtensions Extensions);

/// <summary><c>PublicKeyCredentialRequestOptionsJSON</c>.</summary>
public sealed record PasskeyRequestOptions(string Challenge, long Timeout, string RpId, IReadOnlyList<PasskeyDescriptor> AllowCredentials, string UserVerification);

/// <summary>The options for <c>navigator.credentials.create()</c>: pass <c>publicKey</c> to <c>PublicKeyCredential.parseCreationOptionsFromJSON</c>.</summary>
public sealed record PasskeyCreationOptionsResponse(PasskeyCreationOptions PublicKey);

/// <summary>The options for <c>navigator.credentials.get()</c>: pass <c>publicKey</c> to <c>PublicKeyCredential.parseRequestOptionsFromJSON</c>.</summary>
public sealed record PasskeyRequestOptionsResponse(PasskeyRequestOptions PublicKey);
