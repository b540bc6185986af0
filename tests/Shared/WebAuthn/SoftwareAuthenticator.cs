using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Serverless.Testing;

/// <summary>
/// A platform authenticator and the browser in front of it, in software: what <c>navigator.credentials.create()</c> and
/// <c>get()</c> give, as <c>PublicKeyCredential.toJSON()</c> makes it (binary fields base64url without padding). The
/// independent counterpart the passkey endpoints are tested against: it shares no code with the Fido2 library the
/// product uses; its CBOR is written here by hand and its keys are ECDSA P-256 (ES256, COSE alg -7).
/// </summary>
/// <remarks>
/// Every flag, the counter, the origin and the RP id are settable, so a test can forge what a real authenticator or
/// browser would never send. Resident (discoverable) credentials only, "none" attestation, a zero AAGUID.
/// </remarks>
/// <param name="origin">The page origin it runs on, e.g. <c>http://localhost:5173</c> (clientDataJSON's origin).</param>
/// <param name="rpId">The relying party id the rpIdHash in authenticatorData is computed from, e.g. <c>localhost</c>.</param>
public sealed class SoftwareAuthenticator(string origin, string rpId) : IDisposable
{
    private const int Es256 = -7;
    private const byte FlagUserPresent = 0x01, FlagUserVerified = 0x04, FlagBackupEligible = 0x08, FlagBackedUp = 0x10, FlagAttestedData = 0x40;
    private static readonly JsonSerializerOptions ClientDataJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly List<StoredCredential> _credentials = [];

    /// <summary>The BE flag: a synced passkey (default false).</summary>
    public bool BackupEligible { get; set; }

    /// <summary>The BS flag: the passkey is backed up now (default false).</summary>
    public bool BackedUp { get; set; }

    /// <summary>The UV flag (default true).</summary>
    public bool UserVerified { get; set; } = true;

    /// <summary>The UP flag (default true).</summary>
    public bool UserPresent { get; set; } = true;

    /// <summary>The signature counter, one for all credentials: each assertion sends <c>++Counter</c>, or 0 when <see cref="CountsSignatures"/> is off. Registrations send 0.</summary>
    public uint Counter { get; set; }

    /// <summary>Whether assertions count (default true); off: every assertion sends 0, as many synced passkeys do.</summary>
    public bool CountsSignatures { get; set; } = true;

    /// <summary>What clientDataJSON's origin says.</summary>
    public string Origin { get; set; } = origin;

    /// <summary>What the rpIdHash in authenticatorData is computed from (the options' rp.id / rpId are not consulted).</summary>
    public string RpId { get; set; } = rpId;

    /// <summary>The credentials it holds, oldest first.</summary>
    public IReadOnlyList<StoredCredential> Credentials => _credentials;

    /// <summary>
    /// <c>navigator.credentials.create()</c>: a new P-256 key under a random 32-byte credential id, for the options' user.
    /// </summary>
    /// <param name="creationOptions">The server's creation options: the object inside <c>{"publicKey": ...}</c>, or that whole answer.</param>
    /// <param name="challengeOverride">A challenge for clientDataJSON instead of the options' (base64url, as sent).</param>
    /// <returns>The RegistrationResponseJSON.</returns>
    /// <exception cref="InvalidOperationException">The options exclude a credential it holds, or do not offer ES256.</exception>
    public JsonObject Register(JsonElement creationOptions, string? challengeOverride = null)
    {
        var options = Unwrap(creationOptions);
        var excluded = CredentialIds(options, "excludeCredentials");
        if (_credentials.FirstOrDefault(c => excluded.Any(id => id.AsSpan().SequenceEqual(c.Id))) is { } held)
        {
            throw new InvalidOperationException($"The authenticator holds the excluded credential {held.IdBase64Url} (InvalidStateError).");
        }

        if (!OffersEs256(options))
        {
            throw new InvalidOperationException("The options' pubKeyCredParams do not offer ES256 (-7) (NotSupportedError).");
        }

        var user = options.GetProperty("user");
        var credential = new StoredCredential(
            RandomNumberGenerator.GetBytes(32), Base64Url.DecodeFromChars(user.GetProperty("id").GetString()), ECDsa.Create(ECCurve.NamedCurves.nistP256));
        _credentials.Add(credential);

        var clientData = ClientData("webauthn.create", challengeOverride ?? options.GetProperty("challenge").GetString()!);
        var authenticatorData = AuthenticatorData(FlagAttestedData, 0, AttestedCredentialData(credential));
        var attestationObject = new CborWriter();
        attestationObject.Map(3);
        attestationObject.Text("fmt");
        attestationObject.Text("none");
        attestationObject.Text("attStmt");
        attestationObject.Map(0);
        attestationObject.Text("authData");
        attestationObject.Bytes(authenticatorData);

        return Credential(credential, new JsonObject
        {
            ["clientDataJSON"] = Base64Url.EncodeToString(clientData),
            ["attestationObject"] = Base64Url.EncodeToString(attestationObject.ToArray()),
            ["transports"] = new JsonArray("internal"),
            ["publicKeyAlgorithm"] = Es256,
            ["publicKey"] = Base64Url.EncodeToString(credential.Key.ExportSubjectPublicKeyInfo()),
            ["authenticatorData"] = Base64Url.EncodeToString(authenticatorData),
        });
    }

    /// <summary>
    /// <c>navigator.credentials.get()</c>: signs with a held credential. Which one: <paramref name="credentialId"/> when
    /// given (even one the options do not allow, to forge); else the first held one the options' allowCredentials lists;
    /// else, with no allowCredentials, the most recently registered one.
    /// </summary>
    /// <param name="requestOptions">The server's request options: the object inside <c>{"publicKey": ...}</c>, or that whole answer.</param>
    /// <param name="credentialId">The credential to sign with; null: chosen as above.</param>
    /// <param name="challengeOverride">A challenge for clientDataJSON instead of the options' (base64url, as sent).</param>
    /// <returns>The AuthenticationResponseJSON.</returns>
    /// <exception cref="InvalidOperationException">It holds no credential to sign with.</exception>
    public JsonObject Assert(JsonElement requestOptions, byte[]? credentialId = null, string? challengeOverride = null)
    {
        var options = Unwrap(requestOptions);
        var credential = credentialId is not null
            ? Held(credentialId) ?? throw new InvalidOperationException($"The authenticator does not hold credential {Base64Url.EncodeToString(credentialId)}.")
            : CredentialIds(options, "allowCredentials") is { Count: > 0 } allowed
                ? allowed.Select(Held).FirstOrDefault(c => c is not null)
                    ?? throw new InvalidOperationException("The authenticator holds none of the allowed credentials (NotAllowedError).")
                : _credentials.LastOrDefault() ?? throw new InvalidOperationException("The authenticator holds no credential (NotAllowedError).");

        var clientData = ClientData("webauthn.get", challengeOverride ?? options.GetProperty("challenge").GetString()!);
        var authenticatorData = AuthenticatorData(0, CountsSignatures ? ++Counter : 0, []);
        var signature = credential.Key.SignData(
            [.. authenticatorData, .. SHA256.HashData(clientData)], HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

        return Credential(credential, new JsonObject
        {
            ["clientDataJSON"] = Base64Url.EncodeToString(clientData),
            ["authenticatorData"] = Base64Url.EncodeToString(authenticatorData),
            ["signature"] = Base64Url.EncodeToString(signature),
            ["userHandle"] = Base64Url.EncodeToString(credential.UserHandle),
        });
    }

    public void Dispose()
    {
        foreach (var credential in _credentials)
        {
            credential.Key.Dispose();
        }

        _credentials.Clear();
    }

    private static JsonElement Unwrap(JsonElement options) =>
        options.ValueKind == JsonValueKind.Object && options.TryGetProperty("publicKey", out var inner) ? inner : options;

    private static List<byte[]> CredentialIds(JsonElement options, string property) =>
        options.TryGetProperty(property, out var list) && list.ValueKind == JsonValueKind.Array
            ? [.. list.EnumerateArray().Select(d => Base64Url.DecodeFromChars(d.GetProperty("id").GetString()))]
            : [];

    /// <summary>An empty pubKeyCredParams means the defaults, ES256 among them (WebAuthn: create(), step 10).</summary>
    private static bool OffersEs256(JsonElement options) =>
        !options.TryGetProperty("pubKeyCredParams", out var parameters)
        || parameters.GetArrayLength() == 0
        || parameters.EnumerateArray().Any(p => p.GetProperty("type").GetString() == "public-key" && p.GetProperty("alg").GetInt32() == Es256);

    private StoredCredential? Held(byte[] id) => _credentials.FirstOrDefault(c => c.Id.AsSpan().SequenceEqual(id));

    /// <summary>CollectedClientData as the browser serialises it: these four members in this order.</summary>
    private byte[] ClientData(string type, string challenge) => JsonSerializer.SerializeToUtf8Bytes(
        new JsonObject { ["type"] = type, ["challenge"] = challenge, ["origin"] = Origin, ["crossOrigin"] = false }, ClientDataJson);

    /// <summary>rpIdHash (32) | flags (1) | signCount (4, big-endian) | attested credential data.</summary>
    private byte[] AuthenticatorData(byte extraFlags, uint counter, ReadOnlySpan<byte> attestedCredentialData)
    {
        var flags = (byte)(extraFlags
            | (UserPresent ? FlagUserPresent : 0)
            | (UserVerified ? FlagUserVerified : 0)
            | (BackupEligible ? FlagBackupEligible : 0)
            | (BackedUp ? FlagBackedUp : 0));
        var data = new byte[37 + attestedCredentialData.Length];
        SHA256.HashData(Encoding.UTF8.GetBytes(RpId), data);
        data[32] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(33), counter);
        attestedCredentialData.CopyTo(data.AsSpan(37));
        return data;
    }

    /// <summary>AAGUID (16 zero bytes) | credential id length (2, big-endian) | credential id | COSE_Key.</summary>
    private static byte[] AttestedCredentialData(StoredCredential credential)
    {
        var point = credential.Key.ExportParameters(false).Q;
        var coseKey = new CborWriter();
        coseKey.Map(5);
        coseKey.Integer(1); // kty: EC2
        coseKey.Integer(2);
        coseKey.Integer(3); // alg: ES256
        coseKey.Integer(Es256);
        coseKey.Integer(-1); // crv: P-256
        coseKey.Integer(1);
        coseKey.Integer(-2); // x
        coseKey.Bytes(point.X);
        coseKey.Integer(-3); // y
        coseKey.Bytes(point.Y);

        var length = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)credential.Id.Length);
        return [.. new byte[16], .. length, .. credential.Id, .. coseKey.ToArray()];
    }

    private static JsonObject Credential(StoredCredential credential, JsonObject response) => new()
    {
        ["id"] = credential.IdBase64Url,
        ["rawId"] = credential.IdBase64Url,
        ["type"] = "public-key",
        ["response"] = response,
        ["authenticatorAttachment"] = "platform",
        ["clientExtensionResults"] = new JsonObject(),
    };

    /// <summary>The CBOR (RFC 8949) the authenticator needs: definite-length maps, integers, byte and text strings.</summary>
    private sealed class CborWriter
    {
        private readonly ArrayBufferWriter<byte> _buffer = new();

        public void Map(int pairs) => Head(5, (ulong)pairs);

        public void Integer(long value)
        {
            if (value >= 0)
            {
                Head(0, (ulong)value);
            }
            else
            {
                Head(1, (ulong)(-1 - value));
            }
        }

        public void Bytes(ReadOnlySpan<byte> value)
        {
            Head(2, (ulong)value.Length);
            _buffer.Write(value);
        }

        public void Text(string value)
        {
            var utf8 = Encoding.UTF8.GetBytes(value);
            Head(3, (ulong)utf8.Length);
            _buffer.Write(utf8);
        }

        public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

        /// <summary>The initial byte (major type, additional information) and the shortest argument that holds the value.</summary>
        private void Head(int majorType, ulong value)
        {
            var (additional, length) = value switch
            {
                < 24 => ((int)value, 0),
                <= byte.MaxValue => (24, 1),
                <= ushort.MaxValue => (25, 2),
                <= uint.MaxValue => (26, 4),
                _ => (27, 8),
            };
            var head = _buffer.GetSpan(1 + length);
            head[0] = (byte)((majorType << 5) | additional);
            for (var i = 0; i < length; i++)
            {
                head[length - i] = (byte)(value >> (8 * i));
            }

            _buffer.Advance(1 + length);
        }
    }
}

/// <summary>A credential the authenticator holds: its id, the user handle it was made for, its private key.</summary>
public sealed record StoredCredential(byte[] Id, byte[] UserHandle, ECDsa Key)
{
    /// <summary>The credential id as the JSON forms carry it (base64url without padding).</summary>
    public string IdBase64Url => Base64Url.EncodeToString(Id);
}
