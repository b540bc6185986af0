using System.Diagnostics.CodeAnalysis;
using Microsoft.IdentityModel.Tokens;
using Serverless.Auth.Secrets;

namespace Serverless.Auth.Tokens;

/// <summary>The HMAC keys: the first signs new tokens, every one validates (key rotation).</summary>
internal sealed class SigningKeySet
{
    private SigningKeySet(IReadOnlyList<SymmetricSecurityKey> keys) => Keys = keys;

    public IReadOnlyList<SymmetricSecurityKey> Keys { get; }

    public SymmetricSecurityKey Current => Keys[0];

    /// <summary>True when a key is the published sample key (its bytes spell "LOCAL-ONLY...").</summary>
    public bool IsLocalOnlySample => Keys.Any(k => KeyRing.IsLocalOnlySample(k.Key));

    public static bool TryCreate(JwtOptions options, [NotNullWhen(true)] out SigningKeySet? keySet, out string error)
    {
        keySet = null;
        var hasSingle = !string.IsNullOrWhiteSpace(options.SigningKey);
        var hasList = !string.IsNullOrWhiteSpace(options.SigningKeys);
        if (hasSingle == hasList)
        {
            error = hasSingle
                ? "Auth__Jwt__SigningKey and Auth__Jwt__SigningKeys are both set: use one (SigningKeys for rotation)."
                : "Auth__Jwt__SigningKey is required: a base64 key of at least 32 random bytes (openssl rand -base64 32).";
            return false;
        }

        List<RingKey> ring;
        if (hasSingle)
        {
            if (UnresolvedKeyVaultReferences.IsUnresolved(options.SigningKey))
            {
                error = UnresolvedKeyVaultReferences.Message("Auth__Jwt__SigningKey");
                return false;
            }

            if (!KeyRing.TryDecodeKey(options.SigningKey!, out var bytes))
            {
                error = "Auth__Jwt__SigningKey must be base64 of at least 32 random bytes (openssl rand -base64 32).";
                return false;
            }

            if (KeyRing.LowEntropyMessage(bytes, "Auth__Jwt__SigningKey") is { } weak)
            {
                error = weak;
                return false;
            }

            ring = [new RingKey(KeyRing.DeriveKeyId(bytes), bytes)];
        }
        else if (!KeyRing.TryParse(options.SigningKeys!, "Auth__Jwt__SigningKeys", out ring, out error))
        {
            return false;
        }

        keySet = new SigningKeySet([.. ring.Select(k => new SymmetricSecurityKey(k.Bytes) { KeyId = k.Id })]);
        error = "";
        return true;
    }
}
