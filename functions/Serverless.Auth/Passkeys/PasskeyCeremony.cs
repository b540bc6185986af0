using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Fido2NetLib;
using Fido2NetLib.Objects;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Serverless.Auth.Accounts;
using Serverless.Auth.Email;
using Serverless.Auth.Http;

namespace Serverless.Auth.Passkeys;

/// <summary>A ceremony's answer that was not accepted: why, in words safe to show the caller.</summary>
internal sealed record PasskeyRefusal(string Reason);

/// <summary>
/// The WebAuthn ceremonies, verified by the Fido2 library (attestation, CBOR, signatures, flags, origin, RP id hash,
/// challenge): the options each one sends and how the answer is checked are built from the same inputs here, so they
/// cannot drift apart. Options ask for a discoverable credential with user verification, attestation <c>none</c>, and
/// ES256, EdDSA or RS256. Anything the library refuses, and any way an answer is malformed, is a
/// <see cref="PasskeyRefusal"/>, never an exception.
/// </summary>
internal sealed partial class PasskeyCeremony
{
    private static readonly IReadOnlyList<PubKeyCredParam> Algorithms = [PubKeyCredParam.ES256, PubKeyCredParam.Ed25519, PubKeyCredParam.RS256];
    private static readonly string[] KnownTransports = ["usb", "nfc", "ble", "smart-card", "hybrid", "internal"];

    private readonly Fido2Configuration configuration;
    private readonly Fido2 fido2;
    private readonly ILogger<PasskeyCeremony> logger;

    public PasskeyCeremony(IOptions<PasskeyOptions> options, IOptions<RequestOriginOptions> origins, IOptions<EmailOptions> email, ILogger<PasskeyCeremony> logger)
    {
        var settings = options.Value;
        Enabled = settings.Enabled;
        configuration = new Fido2Configuration
        {
            RPID = settings.RelyingPartyId,
            RPName = string.IsNullOrWhiteSpace(settings.RpName) ? email.Value.ProductName : settings.RpName,
            Origins = new HashSet<string>(settings.CeremonyOrigins(origins.Value.Origins), StringComparer.OrdinalIgnoreCase),
            ChallengeSize = PasskeyChallenges.ChallengeBytes,
            Timeout = (uint)PasskeyChallenges.Lifetime.TotalMilliseconds,
        };
        fido2 = new Fido2(configuration);
        this.logger = logger;
    }

    /// <summary>Whether <c>Auth__Passkeys__RpId</c> turns passkeys on.</summary>
    public bool Enabled { get; }

    /// <summary>The origins a ceremony may run on (checked against its client data).</summary>
    public IReadOnlySet<string> Origins => configuration.Origins;

    /// <summary>The user handle of an account: its id's UTF-8 (no address or other personal data).</summary>
    public static byte[] UserHandle(string userId) => Encoding.UTF8.GetBytes(userId);

    public PasskeyCreationOptions CreationOptions(UserAccount account, IReadOnlyList<PasskeyRecord> existing, IssuedChallenge challenge)
    {
        var options = Creation(account, challenge, existing);
        return new PasskeyCreationOptions(
            new PasskeyRelyingParty(options.Rp.Id, options.Rp.Name),
            new PasskeyUser(Base64UrlEncoder.Encode(options.User.Id), options.User.Name, options.User.DisplayName),
            Base64UrlEncoder.Encode(options.Challenge),
            [.. options.PubKeyCredParams.Select(p => new PasskeyAlgorithm("public-key", (int)p.Alg))],
            (long)options.Timeout,
            [.. existing.Select(Descriptor)],
            new PasskeyAuthenticatorSelection("required", RequireResidentKey: true, "required"),
            "none",
            new PasskeyExtensions(CredProps: true));
    }

    public PasskeyRequestOptions RequestOptions(IReadOnlyList<PasskeyRecord> allowed, IssuedChallenge challenge)
    {
        var options = Request(challenge, allowed);
        return new PasskeyRequestOptions(Base64UrlEncoder.Encode(options.Challenge), (long)options.Timeout, options.RpId ?? configuration.RPID, [.. allowed.Select(Descriptor)], "required");
    }

    /// <summary>Verifies a registration answer to <paramref name="challenge"/> for <paramref name="account"/>.</summary>
    public async Task<(RegisteredPublicKeyCredential? Credential, PasskeyRefusal? Refusal)> VerifyRegistrationAsync(
        PasskeyCredential credential, UserAccount account, IssuedChallenge challenge, CancellationToken cancellationToken)
    {
        if (!TryDecode(credential, out var rawId, out var response, out var refusal) || response.AttestationObject is null)
        {
            return (null, refusal ?? new PasskeyRefusal("The credential has no attestationObject: send what navigator.credentials.create() gave, as toJSON() makes it."));
        }

        var raw = new AuthenticatorAttestationRawResponse
        {
            Id = credential.Id!,
            RawId = rawId,
            Type = PublicKeyCredentialType.PublicKey,
            Response = new AuthenticatorAttestationRawResponse.AttestationResponse
            {
                AttestationObject = response.AttestationObject,
                ClientDataJson = response.ClientDataJson,
                Transports = [.. Transports(credential.Response!.Transports).Select(ToTransport)],
            },
            ClientExtensionResults = new AuthenticationExtensionsClientOutputs(),
        };
        try
        {
            var registered = await fido2.MakeNewCredentialAsync(
                new MakeNewCredentialParams
                {
                    AttestationResponse = raw,
                    OriginalOptions = Creation(account, challenge, []),
                    // Uniqueness is the identity row's insert (PasskeyRepository.TryClaimAsync), not a read here.
                    IsCredentialIdUniqueToUserCallback = static (_, _) => Task.FromResult(true),
                },
                cancellationToken);
            return (registered, null);
        }
        catch (Exception e) when (IsRefusal(e))
        {
            LogRefused(logger, "registration", e);
            return (null, Refusal(e));
        }
    }

    /// <summary>
    /// The credential id an assertion names, and the account its user handle names when it is one of this service's
    /// user ids (null when absent or of another form: the caller then finds the account by the credential's identity);
    /// or a refusal when the answer is malformed.
    /// </summary>
    public static (byte[]? CredentialId, string? HandleUserId, PasskeyRefusal? Refusal) CredentialIdOf(PasskeyCredential credential)
    {
        if (!TryDecode(credential, out var rawId, out var response, out var refusal) || response.Signature is null || response.AuthenticatorData is null)
        {
            return (null, null, refusal ?? new PasskeyRefusal("The credential has no signature or authenticatorData: send what navigator.credentials.get() gave, as toJSON() makes it."));
        }

        // User ids are UUIDs in their canonical form, so a handle that is one can name a table partition safely.
        var handle = response.UserHandle is { Length: 36 } bytes ? Encoding.ASCII.GetString(bytes) : null;
        return (rawId, handle is not null && Guid.TryParseExact(handle, "D", out var id) && id.ToString("D") == handle ? handle : null, null);
    }

    /// <summary>
    /// Verifies an assertion answering <paramref name="challenge"/> with <paramref name="passkey"/> (origin, RP id hash,
    /// user presence and verification, signature, challenge, the user handle naming the passkey's account). The signature
    /// counter is checked by the caller (<see cref="PasskeySignIns"/>), which records a regression.
    /// </summary>
    public async Task<(VerifyAssertionResult? Result, bool BackupEligible, PasskeyRefusal? Refusal)> VerifyAssertionAsync(
        PasskeyCredential credential, PasskeyRecord passkey, IssuedChallenge challenge, CancellationToken cancellationToken)
    {
        if (!TryDecode(credential, out var rawId, out var response, out var refusal) || response.Signature is null || response.AuthenticatorData is null)
        {
            return (null, false, refusal ?? new PasskeyRefusal("The credential has no signature or authenticatorData."));
        }

        if (!IsWholeDerSignature(passkey.PublicKey, response.Signature))
        {
            return (null, false, new PasskeyRefusal("The signature does not verify."));
        }

        var raw = new AuthenticatorAssertionRawResponse
        {
            Id = credential.Id!,
            RawId = rawId,
            Type = PublicKeyCredentialType.PublicKey,
            Response = new AuthenticatorAssertionRawResponse.AssertionResponse
            {
                AuthenticatorData = response.AuthenticatorData,
                Signature = response.Signature,
                ClientDataJson = response.ClientDataJson,
                UserHandle = response.UserHandle,
            },
            ClientExtensionResults = new AuthenticationExtensionsClientOutputs(),
        };
        try
        {
            var handle = UserHandle(passkey.UserId);
            var result = await fido2.MakeAssertionAsync(
                new MakeAssertionParams
                {
                    AssertionResponse = raw,
                    OriginalOptions = Request(challenge, []),
                    StoredPublicKey = passkey.PublicKey,
                    // The counter rule is ours (a regression is recorded, and a counter that drops to 0 counts too).
                    StoredSignatureCounter = 0,
                    IsUserHandleOwnerOfCredentialIdCallback = (match, _) =>
                        Task.FromResult(CryptographicOperations.FixedTimeEquals(match.UserHandle, handle) && match.CredentialId.AsSpan().SequenceEqual(passkey.CredentialId)),
                },
                cancellationToken);
            return (result, passkey.BackupEligible, null);
        }
        catch (Exception e) when (IsRefusal(e))
        {
            LogRefused(logger, "sign-in", e);
            return (null, false, Refusal(e));
        }
    }

    /// <summary>
    /// An ECDSA signature is one DER SEQUENCE and nothing after it: the library's decoding ignores trailing bytes, which
    /// would let one genuine signature be sent in many forms.
    /// </summary>
    private static bool IsWholeDerSignature(byte[] publicKey, byte[] signature)
    {
        if (!IsEllipticCurveKey(publicKey))
        {
            return true;
        }

        try
        {
            System.Formats.Asn1.AsnDecoder.ReadEncodedValue(signature, System.Formats.Asn1.AsnEncodingRules.DER, out _, out _, out var consumed);
            return consumed == signature.Length && signature[0] == 0x30;
        }
        catch (System.Formats.Asn1.AsnContentException)
        {
            return false;
        }
    }

    /// <summary>
    /// Whether a stored COSE key (as the library wrote it at registration) is an EC2 key, read with the BCL's CBOR reader:
    /// the library's own key object would import the key, half the cost of the verification that follows.
    /// </summary>
    private static bool IsEllipticCurveKey(byte[] coseKey)
    {
        try
        {
            var reader = new CborReader(coseKey, CborConformanceMode.Lax);
            var entries = reader.ReadStartMap() ?? 0;
            for (var i = 0; i < entries; i++)
            {
                // Each entry is a label, then its value: the value of kty (label 1) is the one wanted.
                var isKeyType = reader.PeekState() == CborReaderState.UnsignedInteger
                    ? reader.ReadInt32() == (int)COSE.KeyCommonParameter.KeyType
                    : SkipLabel(reader);
                if (isKeyType)
                {
                    return reader.ReadInt32() == (int)COSE.KeyType.EC2;
                }

                reader.SkipValue();
            }
        }
        catch (Exception e) when (e is CborContentException or InvalidOperationException or OverflowException)
        {
            return false;
        }

        return false;

        static bool SkipLabel(CborReader reader)
        {
            reader.SkipValue();
            return false;
        }
    }

    /// <summary>The transports a registration reported, known names only (at most one of each).</summary>
    public static IReadOnlyList<string> Transports(IReadOnlyList<string>? reported) =>
        [.. (reported ?? []).Where(KnownTransports.Contains).Distinct().Take(KnownTransports.Length)];

    private CredentialCreateOptions Creation(UserAccount account, IssuedChallenge challenge, IReadOnlyList<PasskeyRecord> existing) =>
        CredentialCreateOptions.Create(
            configuration,
            challenge.Challenge,
            new Fido2User { Id = UserHandle(account.UserId), Name = account.Email, DisplayName = account.Email },
            new AuthenticatorSelection { ResidentKey = ResidentKeyRequirement.Required, UserVerification = UserVerificationRequirement.Required },
            AttestationConveyancePreference.None,
            [.. existing.Select(p => new PublicKeyCredentialDescriptor(p.CredentialId))],
            new AuthenticationExtensionsClientInputs { CredProps = true },
            Algorithms);

    private AssertionOptions Request(IssuedChallenge challenge, IReadOnlyList<PasskeyRecord> allowed) =>
        AssertionOptions.Create(
            configuration, challenge.Challenge, [.. allowed.Select(p => new PublicKeyCredentialDescriptor(p.CredentialId))], UserVerificationRequirement.Required, null);

    private static PasskeyDescriptor Descriptor(PasskeyRecord passkey) => new(passkey.Id, "public-key", passkey.Transports.Count > 0 ? passkey.Transports : null);

    private static AuthenticatorTransport ToTransport(string name) => name switch
    {
        "usb" => AuthenticatorTransport.Usb,
        "nfc" => AuthenticatorTransport.Nfc,
        "ble" => AuthenticatorTransport.Ble,
        "smart-card" => AuthenticatorTransport.SmartCard,
        "hybrid" => AuthenticatorTransport.Hybrid,
        _ => AuthenticatorTransport.Internal,
    };

    private sealed record DecodedResponse(byte[] ClientDataJson, byte[]? AttestationObject, byte[]? AuthenticatorData, byte[]? Signature, byte[]? UserHandle);

    /// <summary>The JSON form's checks the library leaves to the caller: the type, the ids (equal), and base64url everywhere.</summary>
    private static bool TryDecode(PasskeyCredential credential, out byte[] rawId, out DecodedResponse response, out PasskeyRefusal? refusal)
    {
        (rawId, response, refusal) = ([], new DecodedResponse([], null, null, null, null), null);
        if (credential.Type != "public-key" || credential.Response is not { } body)
        {
            refusal = new PasskeyRefusal("The credential must be a public-key credential with a response.");
            return false;
        }

        string?[] fields = [credential.RawId, body.ClientDataJSON, body.AttestationObject, body.AuthenticatorData, body.Signature, body.UserHandle];
        var decoded = fields.Select(Decode).ToArray();
        if (decoded[0] is not { Length: > 0 and <= 1023 } id || decoded[1] is not { Length: > 0 } clientData
            || credential.Id != credential.RawId
            || fields.Zip(decoded).Any(pair => pair.First is { Length: > 0 } && pair.Second is null))
        {
            refusal = new PasskeyRefusal("The credential's id, rawId and response fields must be base64url (id equal to rawId, at most 1023 bytes).");
            return false;
        }

        rawId = id;
        response = new DecodedResponse(clientData, decoded[2], decoded[3], decoded[4], decoded[5] is { Length: > 0 } handle ? handle : null);
        return true;
    }

    private static byte[]? Decode(string? base64Url)
    {
        if (string.IsNullOrEmpty(base64Url) || base64Url.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
        {
            return null;
        }

        try
        {
            return Base64UrlEncoder.DecodeBytes(base64Url);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// What the library throws for an answer it refuses or cannot parse: its own verification error, and what its CBOR,
    /// ASN.1, JSON and key parsing throw on malformed bytes. Anything else is a bug and surfaces as one.
    /// </summary>
    private static bool IsRefusal(Exception e) =>
        e is Fido2VerificationException or CborContentException or FormatException or JsonException or CryptographicException
            or ArgumentException or InvalidOperationException or OverflowException or IndexOutOfRangeException or InvalidCastException
            or KeyNotFoundException or NotSupportedException or System.Formats.Asn1.AsnContentException;

    private static PasskeyRefusal Refusal(Exception e) => new(e is Fido2VerificationException verification
        ? verification.Code switch
        {
            Fido2NetLib.Exceptions.Fido2ErrorCode.InvalidRpidHash => "The passkey belongs to another site (RP id).",
            Fido2NetLib.Exceptions.Fido2ErrorCode.UserVerificationRequirementNotMet => "The authenticator did not verify the user (PIN or biometrics are required).",
            Fido2NetLib.Exceptions.Fido2ErrorCode.UserPresentFlagNotSet => "The authenticator did not confirm the user's presence.",
            Fido2NetLib.Exceptions.Fido2ErrorCode.InvalidSignature => "The signature does not verify.",
            Fido2NetLib.Exceptions.Fido2ErrorCode.InvalidAuthenticatorResponseChallenge => "The answer is for another challenge: ask for new options.",
            Fido2NetLib.Exceptions.Fido2ErrorCode.CredentialAlgorithmRequirementNotMet => "The passkey uses an algorithm this service does not accept (ES256, EdDSA, RS256).",
            Fido2NetLib.Exceptions.Fido2ErrorCode.InvalidAuthenticatorResponseOrigin or Fido2NetLib.Exceptions.Fido2ErrorCode.MissingAuthenticatorResponseOrigin
                => "The ceremony ran on an origin this service does not allow for passkeys.",
            _ when e.Message.Contains("origin", StringComparison.OrdinalIgnoreCase) => "The ceremony ran on an origin this service does not allow for passkeys.",
            _ => "The passkey's answer could not be verified.",
        }
        : "The passkey's answer is malformed.");

    [LoggerMessage(Level = LogLevel.Information, Message = "Passkey {Ceremony} refused")]
    private static partial void LogRefused(ILogger logger, string ceremony, Exception exception);
}
