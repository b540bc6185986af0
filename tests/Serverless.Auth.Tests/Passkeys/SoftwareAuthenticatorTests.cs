using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fido2NetLib;
using Fido2NetLib.Exceptions;
using Fido2NetLib.Objects;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Passkeys;

/// <summary>
/// The software authenticator the passkey endpoints are tested against, checked against an independent verifier: the
/// Fido2 library itself, straight, with no product code in between. What Fido2 accepts from it, and what it refuses
/// when a test forges the origin, the RP id, the flags, the signature or the counter.
/// </summary>
public sealed class SoftwareAuthenticatorTests
{
    private const string Origin = "http://localhost:5173";
    private const string RpId = "localhost";

    private static readonly Dictionary<string, Action<SoftwareAuthenticator>> Forgeries = new()
    {
        ["another origin"] = a => a.Origin = "http://evil.localhost:5173",
        ["another RP id"] = a => a.RpId = "example.com",
        ["no user verification"] = a => a.UserVerified = false,
        ["no user presence"] = a => a.UserPresent = false,
    };

    private readonly byte[] _userHandle = RandomNumberGenerator.GetBytes(32);
    private readonly Fido2 _fido2 = new(new Fido2Configuration { RPID = RpId, RPName = "Serverless", Origins = new HashSet<string> { Origin } });

    [Fact]
    public async Task ARegistrationAndItsAssertionsVerifyWithFido2()
    {
        using var authenticator = new SoftwareAuthenticator(Origin, RpId) { BackupEligible = true };

        var registered = await RegisterAsync(authenticator);
        var held = Assert.Single(authenticator.Credentials);
        Assert.Equal(held.Id, registered.Id);
        Assert.Equal(_userHandle, held.UserHandle);
        Assert.Equal(_userHandle, registered.User.Id);
        Assert.Equal(0u, registered.SignCount);
        Assert.True(registered.IsBackupEligible);
        Assert.False(registered.IsBackedUp);
        Assert.Equal(Guid.Empty, registered.AaGuid);
        Assert.Equal("none", registered.AttestationFormat);
        Assert.Equal([AuthenticatorTransport.Internal], registered.Transports);

        var first = await AssertAsync(authenticator, registered);
        Assert.Equal(registered.Id, first.CredentialId);
        Assert.Equal(1u, first.SignCount);
        Assert.False(first.IsBackedUp);

        authenticator.BackedUp = true;
        var second = await AssertAsync(authenticator, registered, storedCounter: first.SignCount);
        Assert.Equal(2u, second.SignCount);
        Assert.True(second.IsBackedUp);
    }

    [Fact]
    public async Task TheRegistrationIsWhatToJsonGives()
    {
        using var authenticator = new SoftwareAuthenticator(Origin, RpId);
        var options = CreationOptions();

        var json = authenticator.Register(JsonElement.Parse(options.ToJson()));

        var credential = Assert.Single(authenticator.Credentials);
        Assert.Equal(32, credential.Id.Length);
        Assert.Equal(credential.IdBase64Url, (string?)json["id"]);
        Assert.Equal(credential.IdBase64Url, (string?)json["rawId"]);
        Assert.Equal("public-key", (string?)json["type"]);
        Assert.Equal("platform", (string?)json["authenticatorAttachment"]);
        Assert.Empty(json["clientExtensionResults"]!.AsObject());
        var response = json["response"]!.AsObject();
        Assert.Equal(["clientDataJSON", "attestationObject", "transports", "publicKeyAlgorithm", "publicKey", "authenticatorData"], response.Select(p => p.Key));
        Assert.Equal("[\"internal\"]", response["transports"]!.ToJsonString());
        Assert.Equal(-7, (int)response["publicKeyAlgorithm"]!);
        Assert.DoesNotMatch("[=+/]", json.ToJsonString());

        var clientData = Encoding.UTF8.GetString(Base64Url.DecodeFromChars((string?)response["clientDataJSON"]));
        Assert.Equal($$"""{"type":"webauthn.create","challenge":"{{Base64Url.EncodeToString(options.Challenge)}}","origin":"{{Origin}}","crossOrigin":false}""", clientData);

        // rpIdHash | flags UP, UV, AT | counter 0 | zero AAGUID | id length | id | COSE key
        var authenticatorData = Base64Url.DecodeFromChars((string?)response["authenticatorData"]);
        Assert.Equal(SHA256.HashData(Encoding.UTF8.GetBytes(RpId)), authenticatorData[..32]);
        Assert.Equal(0x45, authenticatorData[32]);
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32BigEndian(authenticatorData.AsSpan(33)));
        Assert.Equal(new byte[16], authenticatorData[37..53]);
        Assert.Equal(32, BinaryPrimitives.ReadUInt16BigEndian(authenticatorData.AsSpan(53)));
        Assert.Equal(credential.Id, authenticatorData[55..87]);

        // The attestation object carries the same authenticator data, and the COSE key is the SPKI key's point.
        var attestationObject = Base64Url.DecodeFromChars((string?)response["attestationObject"]);
        Assert.Equal(authenticatorData, attestationObject[^authenticatorData.Length..]);
        var point = credential.Key.ExportParameters(false).Q;
        Assert.Equal([0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20, .. point.X!, 0x22, 0x58, 0x20, .. point.Y!], authenticatorData[87..]);
        using var publicKey = ECDsa.Create();
        publicKey.ImportSubjectPublicKeyInfo(Base64Url.DecodeFromChars((string?)response["publicKey"]), out _);
        Assert.Equal(point.X, publicKey.ExportParameters(false).Q.X);
    }

    [Fact]
    public async Task TheWholeOptionsAnswerIsTakenAsWellAsTheInnerObject()
    {
        using var authenticator = new SoftwareAuthenticator(Origin, RpId);
        var options = CreationOptions();
        var wrapped = JsonElement.Parse($$"""{"publicKey":{{options.ToJson()}}}""");
        var registered = await _fido2.MakeNewCredentialAsync(new MakeNewCredentialParams
        {
            AttestationResponse = Parse<AuthenticatorAttestationRawResponse>(authenticator.Register(wrapped)),
            OriginalOptions = options,
            IsCredentialIdUniqueToUserCallback = (_, _) => Task.FromResult(true),
        }, TestContext.Current.CancellationToken);

        var assertionOptions = AssertionOptions(registered.Id);
        var json = authenticator.Assert(JsonElement.Parse($$"""{"publicKey":{{assertionOptions.ToJson()}}}"""));

        var result = await VerifyAsync(json, assertionOptions, registered);
        Assert.Equal(1u, result.SignCount);
    }

    /// <summary>What a test forges by changing the authenticator after registering, each caught by its own check in Fido2.</summary>
    [Theory]
    [InlineData("another origin", Fido2ErrorCode.InvalidAuthenticatorResponseOrigin)]
    [InlineData("another RP id", Fido2ErrorCode.InvalidRpidHash)]
    [InlineData("no user verification", Fido2ErrorCode.UserVerificationRequirementNotMet)]
    [InlineData("no user presence", Fido2ErrorCode.UserPresentFlagNotSet)]
    public async Task AForgedAssertionIsRefused(string forgery, Fido2ErrorCode expected)
    {
        using var authenticator = new SoftwareAuthenticator(Origin, RpId);
        var registered = await RegisterAsync(authenticator);
        Assert.Equal(1u, (await AssertAsync(authenticator, registered)).SignCount);

        Forgeries[forgery](authenticator);
        var refused = await Assert.ThrowsAsync<Fido2VerificationException>(() => AssertAsync(authenticator, registered, storedCounter: 1));
        Assert.Equal(expected, refused.Code);
    }

    [Fact]
    public async Task ARegistrationForAnotherRpIdIsRefused()
    {
        using var authenticator = new SoftwareAuthenticator(Origin, "example.com");
        var refused = await Assert.ThrowsAsync<Fido2VerificationException>(() => RegisterAsync(authenticator));
        Assert.Equal(Fido2ErrorCode.InvalidRpidHash, refused.Code);
    }

    [Fact]
    public async Task ATamperedSignatureIsRefused()
    {
        using var authenticator = new SoftwareAuthenticator(Origin, RpId);
        var registered = await RegisterAsync(authenticator);
        var assertionOptions = AssertionOptions();
        var json = authenticator.Assert(JsonElement.Parse(assertionOptions.ToJson()));

        // The last byte is s's last: the DER stays well-formed, the signature does not verify.
        var signature = Base64Url.DecodeFromChars((string?)json["response"]!["signature"]);
        signature[^1] ^= 0x01;
        json["response"]!["signature"] = Base64Url.EncodeToString(signature);

        Assert.Equal(Fido2ErrorCode.InvalidSignature, await RefusalAsync(json, assertionOptions, registered));
    }

    [Fact]
    public async Task AnAssertionSignedByAnotherCredentialsKeyIsRefused()
    {
        using var authenticator = new SoftwareAuthenticator(Origin, RpId);
        var registered = await RegisterAsync(authenticator);
        var other = await RegisterAsync(authenticator);

        // Signed with the other key, checked against the first one's.
        var refused = await Assert.ThrowsAsync<Fido2VerificationException>(() => AssertAsync(authenticator, registered, credentialId: other.Id));
        Assert.Equal(Fido2ErrorCode.InvalidSignature, refused.Code);
    }

    [Fact]
    public async Task AnAssertionAnsweringAnotherChallengeIsRefused()
    {
        using var authenticator = new SoftwareAuthenticator(Origin, RpId);
        var registered = await RegisterAsync(authenticator);
        var assertionOptions = AssertionOptions();
        var json = authenticator.Assert(JsonElement.Parse(assertionOptions.ToJson()), challengeOverride: Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32)));

        Assert.Equal(Fido2ErrorCode.InvalidAuthenticatorResponseChallenge, await RefusalAsync(json, assertionOptions, registered));
    }

    [Fact]
    public async Task ACounterThatDoesNotPassTheStoredOneIsRefused()
    {
        using var authenticator = new SoftwareAuthenticator(Origin, RpId);
        var registered = await RegisterAsync(authenticator);

        // The authenticator sends 1; the server saw 5 already (a cloned key).
        var refused = await Assert.ThrowsAsync<Fido2VerificationException>(() => AssertAsync(authenticator, registered, storedCounter: 5));
        Assert.Equal(Fido2ErrorCode.InvalidSignCount, refused.Code);
        Assert.Equal(1u, authenticator.Counter);

        authenticator.Counter = 5;
        Assert.Equal(6u, (await AssertAsync(authenticator, registered, storedCounter: 5)).SignCount);
    }

    [Fact]
    public async Task AnAuthenticatorThatDoesNotCountSendsZeroEveryTimeWhichPasses()
    {
        using var authenticator = new SoftwareAuthenticator(Origin, RpId) { CountsSignatures = false, Counter = 7 };
        var registered = await RegisterAsync(authenticator);

        // A stored 0 and a sent 0: no counter on either side (WebAuthn, verifying an assertion, the signCount step).
        Assert.Equal(0u, (await AssertAsync(authenticator, registered)).SignCount);
        Assert.Equal(0u, (await AssertAsync(authenticator, registered)).SignCount);
        Assert.Equal(7u, authenticator.Counter);
    }

    [Fact]
    public async Task ItRefusesToRegisterAnExcludedCredentialOrWithoutEs256()
    {
        using var authenticator = new SoftwareAuthenticator(Origin, RpId);
        var registered = await RegisterAsync(authenticator);

        var excluding = CreationOptions(excludeCredentials: [new PublicKeyCredentialDescriptor(registered.Id)]);
        Assert.Throws<InvalidOperationException>(() => authenticator.Register(JsonElement.Parse(excluding.ToJson())));

        var rsaOnly = CreationOptions(pubKeyCredParams: [PubKeyCredParam.RS256]);
        Assert.Throws<InvalidOperationException>(() => authenticator.Register(JsonElement.Parse(rsaOnly.ToJson())));

        Assert.Single(authenticator.Credentials);
        var excludingAnother = CreationOptions(excludeCredentials: [new PublicKeyCredentialDescriptor(RandomNumberGenerator.GetBytes(32))]);
        authenticator.Register(JsonElement.Parse(excludingAnother.ToJson()));
        Assert.Equal(2, authenticator.Credentials.Count);
    }

    [Fact]
    public async Task ItSignsWithTheFirstHeldAllowedCredentialElseTheNewest()
    {
        using var authenticator = new SoftwareAuthenticator(Origin, RpId);
        var older = await RegisterAsync(authenticator);
        var newer = await RegisterAsync(authenticator);
        var unknown = RandomNumberGenerator.GetBytes(32);

        Assert.Equal(newer.Id, (await AssertAsync(authenticator, newer)).CredentialId);
        Assert.Equal(older.Id, (await AssertAsync(authenticator, older, allowed: [unknown, older.Id, newer.Id])).CredentialId);
        Assert.Equal(older.Id, (await AssertAsync(authenticator, older, credentialId: older.Id)).CredentialId);

        Assert.Throws<InvalidOperationException>(() => authenticator.Assert(JsonElement.Parse(AssertionOptions(unknown).ToJson())));
        Assert.Throws<InvalidOperationException>(() => authenticator.Assert(JsonElement.Parse(AssertionOptions().ToJson()), credentialId: unknown));
        using var empty = new SoftwareAuthenticator(Origin, RpId);
        Assert.Throws<InvalidOperationException>(() => empty.Assert(JsonElement.Parse(AssertionOptions().ToJson())));
    }

    private CredentialCreateOptions CreationOptions(
        IReadOnlyList<PublicKeyCredentialDescriptor>? excludeCredentials = null, IReadOnlyList<PubKeyCredParam>? pubKeyCredParams = null) =>
        _fido2.RequestNewCredential(new RequestNewCredentialParams
        {
            User = new Fido2User { Id = _userHandle, Name = "ana@example.com", DisplayName = "Ana" },
            ExcludeCredentials = excludeCredentials ?? [],
            PubKeyCredParams = pubKeyCredParams ?? PubKeyCredParam.Defaults,
            AuthenticatorSelection = new AuthenticatorSelection
            {
                ResidentKey = ResidentKeyRequirement.Required,
                UserVerification = UserVerificationRequirement.Required,
            },
            AttestationPreference = AttestationConveyancePreference.None,
        });

    private AssertionOptions AssertionOptions(params byte[][] allowed) => _fido2.GetAssertionOptions(new GetAssertionOptionsParams
    {
        AllowedCredentials = [.. allowed.Select(id => new PublicKeyCredentialDescriptor(id))],
        UserVerification = UserVerificationRequirement.Required,
    });

    /// <summary>The options as the browser gets them (JSON), the credential back as the server gets it (JSON).</summary>
    private async Task<RegisteredPublicKeyCredential> RegisterAsync(SoftwareAuthenticator authenticator)
    {
        var options = CreationOptions();
        return await _fido2.MakeNewCredentialAsync(new MakeNewCredentialParams
        {
            AttestationResponse = Parse<AuthenticatorAttestationRawResponse>(authenticator.Register(JsonElement.Parse(options.ToJson()))),
            OriginalOptions = options,
            IsCredentialIdUniqueToUserCallback = (_, _) => Task.FromResult(true),
        }, TestContext.Current.CancellationToken);
    }

    private async Task<VerifyAssertionResult> AssertAsync(
        SoftwareAuthenticator authenticator, RegisteredPublicKeyCredential registered, uint storedCounter = 0, byte[][]? allowed = null, byte[]? credentialId = null)
    {
        var options = AssertionOptions(allowed ?? []);
        return await VerifyAsync(authenticator.Assert(JsonElement.Parse(options.ToJson()), credentialId), options, registered, storedCounter);
    }

    private async Task<VerifyAssertionResult> VerifyAsync(
        JsonObject assertion, AssertionOptions options, RegisteredPublicKeyCredential registered, uint storedCounter = 0) =>
        await _fido2.MakeAssertionAsync(new MakeAssertionParams
        {
            AssertionResponse = Parse<AuthenticatorAssertionRawResponse>(assertion),
            OriginalOptions = options,
            StoredPublicKey = registered.PublicKey,
            StoredSignatureCounter = storedCounter,
            IsUserHandleOwnerOfCredentialIdCallback = (p, _) => Task.FromResult(p.UserHandle.AsSpan().SequenceEqual(_userHandle)),
        }, TestContext.Current.CancellationToken);

    private async Task<Fido2ErrorCode> RefusalAsync(JsonObject assertion, AssertionOptions options, RegisteredPublicKeyCredential registered) =>
        (await Assert.ThrowsAsync<Fido2VerificationException>(() => VerifyAsync(assertion, options, registered))).Code;

    private static T Parse<T>(JsonObject json) => JsonSerializer.Deserialize<T>(json.ToJsonString())!;
}
