using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;
using Serverless.Auth.Secrets;

namespace Serverless.Auth.Sessions;

/// <summary>
/// An opaque refresh token: <c>userId.sessionId.generation.secret</c>. The ids locate the session
/// row (one point read); the 256-bit secret proves possession and is stored only as a SHA-256 hash.
/// Each rotation's secret is derived from the previous one with the server key, so every request
/// racing to rotate the same token computes the same successor, and a retired token can be proven
/// to belong to the session (reuse detection) without storing any retired value.
/// </summary>
internal sealed record RefreshToken(string UserId, string SessionId, int Generation, string Secret)
{
    public const int MaxLength = 160;
    private static readonly byte[] SuccessorPurpose = "refresh-successor"u8.ToArray();

    public override string ToString() => string.Join('.', UserId, SessionId, Generation.ToString(CultureInfo.InvariantCulture), Secret);

    public static RefreshToken Start(string userId, string sessionId) =>
        new(userId, sessionId, 0, Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32)));

    public static string NewSessionId() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16));

    public string SecretHash => Hash(Secret);

    public RefreshToken Successor(RingKey key) =>
        this with { Generation = Generation + 1, Secret = Base64UrlEncoder.Encode(ServerKey.Derive(key, SuccessorPurpose, Encoding.ASCII.GetBytes(Secret))) };

    public static string Hash(string secret) => Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(secret)));

    /// <summary>Strict: anything but the exact shape is no token at all (never an exception, never a storage key built from junk).</summary>
    public static bool TryParse(string? value, [NotNullWhen(true)] out RefreshToken? token)
    {
        token = null;
        if (string.IsNullOrEmpty(value) || value.Length > MaxLength)
        {
            return false;
        }

        var parts = value.Split('.');
        if (parts.Length != 4
            || !Guid.TryParseExact(parts[0], "D", out var userId) || userId.ToString() != parts[0]
            || !IsSessionId(parts[1])
            || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var generation)
            || generation.ToString(CultureInfo.InvariantCulture) != parts[2]
            || !IsBase64Url(parts[3], 43))
        {
            return false;
        }

        token = new RefreshToken(parts[0], parts[1], generation, parts[3]);
        return true;
    }

    public static bool IsSessionId(string value) => IsBase64Url(value, 22);

    private static bool IsBase64Url(string value, int length) =>
        value.Length == length && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
