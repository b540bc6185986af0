using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;
using Microsoft.Extensions.Options;

namespace Serverless.Auth.Secrets;

/// <summary>
/// <c>Auth__Secrets__ServerKey</c>: the server's own secret for values only it derives and checks
/// (refresh-token successors, device cookies). Never the JWT signing key: a key that verifies tokens
/// elsewhere must not also mint these. Rotation form like the JWT keys: <c>id:base64;id:base64</c>, newest first.
/// </summary>
public sealed class ServerSecretOptions
{
    /// <summary>The configuration section these settings bind to (<c>Auth__Secrets__*</c> environment variables).</summary>
    public const string Section = "Auth:Secrets";

    /// <summary>
    /// The server key: base64 of 32 or more random bytes (<c>openssl rand -base64 32</c>), never the JWT key. It derives
    /// refresh-token successors and keys the MACs of device cookies. Rotation form <c>id:key;id:key</c>, newest first, like
    /// the JWT keys; low-entropy and sample keys are refused as for <c>Auth__Jwt__SigningKey</c>.
    /// </summary>
    [Setting(Default = "— (required)")]
    public string? ServerKey { get; set; }

    private (IReadOnlyList<RingKey>? Keys, string Error)? parsed;

    internal (IReadOnlyList<RingKey>? Keys, string Error) Parsed => parsed ??= Parse(ServerKey);

    /// <summary>True when any server key is also a JWT signing key (a key that verifies tokens elsewhere must not mint these).</summary>
    internal static bool SharesAKeyWith(ServerSecretOptions server, Tokens.JwtOptions jwt) =>
        server.Parsed.Keys is { } mine && jwt.Keys.Set is { } signing
        && mine.Any(k => signing.HmacKeys.Any(s => CryptographicOperations.FixedTimeEquals(s.Key, k.Bytes)));

    private static (IReadOnlyList<RingKey>?, string) Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return (null, "Auth__Secrets__ServerKey is required: a base64 key of at least 32 random bytes (openssl rand -base64 32), not the JWT signing key.");
        }

        return KeyRing.TryParse(value, "Auth__Secrets__ServerKey", out var keys, out var error) ? (keys, "") : (null, error);
    }
}

internal sealed class ServerSecretOptionsValidator : IValidateOptions<ServerSecretOptions>
{
    private readonly DeploymentEnvironment environment;

    public ServerSecretOptionsValidator()
        : this(DeploymentEnvironment.Current)
    {
    }

    internal ServerSecretOptionsValidator(DeploymentEnvironment environment) => this.environment = environment;

    public ValidateOptionsResult Validate(string? name, ServerSecretOptions options)
    {
        if (options.Parsed.Keys is not { } keys)
        {
            return ValidateOptionsResult.Fail(options.Parsed.Error);
        }

        return !environment.IsDevelopment && keys.Any(k => KeyRing.IsLocalOnlySample(k.Bytes))
            ? ValidateOptionsResult.Fail("Auth__Secrets__ServerKey holds the local-only key from local.settings.sample.json: anyone can derive refresh-token successors with it. Set a new key (openssl rand -base64 32); the sample key is accepted only when ASPNETCORE_ENVIRONMENT (or AZURE_FUNCTIONS_ENVIRONMENT) is Development, never in Azure.")
            : ValidateOptionsResult.Success;
    }
}

/// <summary>HMAC-SHA256 with the server key: the first key derives, every key of the ring is tried when checking.</summary>
internal sealed class ServerKey(IOptions<ServerSecretOptions> options)
{
    private readonly IReadOnlyList<RingKey> keys = options.Value.Parsed.Keys ?? throw new InvalidOperationException(options.Value.Parsed.Error);

    public IReadOnlyList<RingKey> Keys => keys;

    public static byte[] Derive(RingKey key, ReadOnlySpan<byte> purpose, ReadOnlySpan<byte> input)
    {
        Span<byte> message = stackalloc byte[purpose.Length + 1 + input.Length];
        purpose.CopyTo(message);
        message[purpose.Length] = 0;
        input.CopyTo(message[(purpose.Length + 1)..]);
        return HMACSHA256.HashData(key.Bytes, message);
    }

    /// <summary><paramref name="body"/> (no '.' at its end) with a MAC for <paramref name="purpose"/> appended: <c>body.mac</c>, for a cookie value.</summary>
    public string Sign(ReadOnlySpan<byte> purpose, string body) => body + "." + Mac(keys[0], purpose, body);

    /// <summary>The body of a <see cref="Sign"/>ed value when its MAC holds under any key of the ring; else null.</summary>
    public string? Verified(ReadOnlySpan<byte> purpose, string value)
    {
        var dot = value.LastIndexOf('.');
        if (dot <= 0)
        {
            return null;
        }

        var body = value[..dot];
        var mac = Encoding.ASCII.GetBytes(value[(dot + 1)..]);
        foreach (var key in keys)
        {
            if (CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Mac(key, purpose, body)), mac))
            {
                return body;
            }
        }

        return null;
    }

    /// <summary>
    /// <paramref name="plain"/> encrypted and authenticated (AES-256-GCM, a key derived from the first key for
    /// <paramref name="purpose"/>, <paramref name="associated"/> bound in), base64url: for values only this service reads back.
    /// </summary>
    public string Seal(ReadOnlySpan<byte> purpose, ReadOnlySpan<byte> plain, ReadOnlySpan<byte> associated)
    {
        var sealedBytes = new byte[SealNonceBytes + plain.Length + SealTagBytes];
        RandomNumberGenerator.Fill(sealedBytes.AsSpan(0, SealNonceBytes));
        using var aes = new AesGcm(Derive(keys[0], purpose, []), SealTagBytes);
        aes.Encrypt(sealedBytes.AsSpan(0, SealNonceBytes), plain, sealedBytes.AsSpan(SealNonceBytes, plain.Length), sealedBytes.AsSpan(SealNonceBytes + plain.Length), associated);
        return Base64UrlEncoder.Encode(sealedBytes);
    }

    /// <summary>What <see cref="Seal"/> sealed, when it opens under any key of the ring for the same purpose and associated data; else null.</summary>
    public byte[]? Open(ReadOnlySpan<byte> purpose, string value, ReadOnlySpan<byte> associated)
    {
        byte[] sealedBytes;
        try
        {
            sealedBytes = Base64UrlEncoder.DecodeBytes(value);
        }
        catch (FormatException)
        {
            return null;
        }

        if (sealedBytes.Length <= SealNonceBytes + SealTagBytes)
        {
            return null;
        }

        var plain = new byte[sealedBytes.Length - SealNonceBytes - SealTagBytes];
        foreach (var key in keys)
        {
            try
            {
                using var aes = new AesGcm(Derive(key, purpose, []), SealTagBytes);
                aes.Decrypt(sealedBytes.AsSpan(0, SealNonceBytes), sealedBytes.AsSpan(SealNonceBytes, plain.Length), sealedBytes.AsSpan(SealNonceBytes + plain.Length), plain, associated);
                return plain;
            }
            catch (AuthenticationTagMismatchException)
            {
            }
        }

        return null;
    }

    private const int SealNonceBytes = 12;
    private const int SealTagBytes = 16;

    private static string Mac(RingKey key, ReadOnlySpan<byte> purpose, string body) => Base64UrlEncoder.Encode(Derive(key, purpose, Encoding.UTF8.GetBytes(body)));
}
