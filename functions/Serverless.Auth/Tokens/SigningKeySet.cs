using System.Diagnostics.CodeAnalysis;
using Microsoft.IdentityModel.Tokens;
using Serverless.Auth.Secrets;

namespace Serverless.Auth.Tokens;

/// <summary>
/// The token keys. One key signs (<see cref="Current"/>, with <see cref="SigningAlgorithm"/>); every key
/// in <see cref="ValidationKeys"/> verifies, each under the one algorithm its type allows (HS256 for an
/// HMAC key, ES256 for a P-256 key: <see cref="AlgorithmFor"/>). The ES256 keys are the published ones
/// (<see cref="PublishedKeys"/>, the JWKS).
/// <list type="bullet">
/// <item>HS256 only: <c>SigningKey</c> or <c>SigningKeys</c>; nothing is published.</item>
/// <item>ES256: <c>SigningKeysPem</c> (the first signs, all verify and are published), optionally
/// <c>PublishedKeysPem</c> (published and verify, never sign). HMAC keys set next to them verify
/// only: the migration from HS256 signs no one out.</item>
/// <item>HS256 signing with <c>PublishedKeysPem</c>: the first step of that migration (publish before signing).</item>
/// </list>
/// </summary>
internal sealed class SigningKeySet
{
    private SigningKeySet(SecurityKey current, IReadOnlyList<SymmetricSecurityKey> hmacKeys, IReadOnlyList<EcSigningKey> ecKeys)
    {
        Current = current;
        HmacKeys = hmacKeys;
        PublishedKeys = ecKeys;
        ValidationKeys = [.. ecKeys.Select(k => (SecurityKey)k.PublicKey), .. hmacKeys];
    }

    /// <summary>The key that signs new tokens.</summary>
    public SecurityKey Current { get; }

    public string SigningAlgorithm => AlgorithmFor(Current);

    /// <summary>The HMAC keys (sign in HS256 mode, verify only once an ES256 key signs).</summary>
    public IReadOnlyList<SymmetricSecurityKey> HmacKeys { get; }

    /// <summary>The ES256 keys, signing ones first: the JWKS.</summary>
    public IReadOnlyList<EcSigningKey> PublishedKeys { get; }

    /// <summary>Every key a token may be signed with: public halves of the EC keys, then the HMAC keys.</summary>
    public IReadOnlyList<SecurityKey> ValidationKeys { get; }

    /// <summary>True when a key is the published sample key (its bytes spell "LOCAL-ONLY...").</summary>
    public bool IsLocalOnlySample => HmacKeys.Any(k => KeyRing.IsLocalOnlySample(k.Key));

    /// <summary>The one algorithm a key is used with, so a token can never pick another.</summary>
    public static string AlgorithmFor(SecurityKey key) => key switch
    {
        SymmetricSecurityKey => SecurityAlgorithms.HmacSha256,
        ECDsaSecurityKey => SecurityAlgorithms.EcdsaSha256,
        _ => throw new ArgumentException($"Unexpected key type {key.GetType().Name}.", nameof(key)),
    };

    public static bool TryCreate(JwtOptions options, [NotNullWhen(true)] out SigningKeySet? keySet, out string error)
    {
        keySet = null;
        var hasSingle = !string.IsNullOrWhiteSpace(options.SigningKey);
        var hasList = !string.IsNullOrWhiteSpace(options.SigningKeys);
        var hasSigningPem = !string.IsNullOrWhiteSpace(options.SigningKeysPem);
        var hasPublishedPem = !string.IsNullOrWhiteSpace(options.PublishedKeysPem);
        if (hasSingle && hasList)
        {
            error = "Auth__Jwt__SigningKey and Auth__Jwt__SigningKeys are both set: use one (SigningKeys for rotation).";
            return false;
        }

        if (!hasSingle && !hasList && !hasSigningPem)
        {
            error = hasPublishedPem
                ? "Auth__Jwt__PublishedKeysPem never signs: set Auth__Jwt__SigningKeysPem (ES256, recommended) or Auth__Jwt__SigningKey (HS256) as well."
                : "Auth__Jwt__SigningKey is required (HS256: a base64 key of at least 32 random bytes, openssl rand -base64 32) unless Auth__Jwt__SigningKeysPem is set (ES256, recommended: PKCS#8 PEM from openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256).";
            return false;
        }

        List<RingKey> ring = [];
        if (hasSingle)
        {
            if (!KeyRing.TryParseSingle(options.SigningKey!, "Auth__Jwt__SigningKey", out var single, out error))
            {
                return false;
            }

            ring = [single];
        }
        else if (hasList && !KeyRing.TryParse(options.SigningKeys!, "Auth__Jwt__SigningKeys", out ring, out error))
        {
            return false;
        }

        List<EcSigningKey> signingEc = [];
        List<EcSigningKey> publishedEc = [];
        if ((hasSigningPem && !EcKeys.TryParse(options.SigningKeysPem!, EcKeys.SigningSetting, out signingEc, out error))
            || (hasPublishedPem && !EcKeys.TryParse(options.PublishedKeysPem!, EcKeys.PublishedSetting, out publishedEc, out error)))
        {
            return false;
        }

        List<EcSigningKey> ecKeys = [.. signingEc, .. publishedEc];
        if (ecKeys.GroupBy(k => k.KeyId).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            error = $"Auth__Jwt__SigningKeysPem / Auth__Jwt__PublishedKeysPem list the key {twice.Key} twice: list each key once (a signing key is published already).";
            return false;
        }

        // Every kid names exactly one key, hence one algorithm: an HMAC id equal to an EC thumbprint
        // would let a token choose which key (and algorithm) checks it.
        if (ring.FirstOrDefault(h => ecKeys.Any(e => string.Equals(e.KeyId, h.Id, StringComparison.Ordinal))) is { } clash)
        {
            error = $"Auth__Jwt__SigningKeys uses the key id '{clash.Id}', which is the thumbprint of an ES256 key: every key id must name one key; rename the HMAC key.";
            return false;
        }

        var hmacKeys = ring.Select(k => new SymmetricSecurityKey(k.Bytes) { KeyId = k.Id }).ToList();
        SecurityKey current = signingEc.Count > 0 ? signingEc[0].PrivateKey : hmacKeys[0];
        keySet = new SigningKeySet(current, hmacKeys, ecKeys);
        error = "";
        return true;
    }
}
