using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Serverless.Auth.Cookies;
using Serverless.Auth.Http;
using Serverless.Auth.Mfa;
using Serverless.Auth.Secrets;

namespace Serverless.Auth.Passkeys;

/// <summary>What a passkey challenge was issued for.</summary>
internal enum CeremonyKind
{
    /// <summary>Adding a passkey to the signed-in account.</summary>
    Register,

    /// <summary>Signing in with a passkey, anonymously (any account's).</summary>
    SignIn,

    /// <summary>The second step of a sign-in, for one account.</summary>
    SecondStep,
}

/// <summary>A challenge as its cookie says (MAC checked, not expired).</summary>
/// <param name="UserId">The account it was issued for; empty for an anonymous sign-in.</param>
/// <param name="IssuedAt">Unix milliseconds; single use: the write that completes the ceremony raises a floor to it.</param>
internal sealed record IssuedChallenge(CeremonyKind Kind, string UserId, long IssuedAt, byte[] Challenge);

/// <summary>
/// A ceremony's challenge travels in a short-lived cookie, not in storage: HttpOnly, the session cookies' Secure /
/// SameSite / Partitioned, Path = the auth base path, MAC'd with the server key, naming what it is for, the account
/// (registration, second step) and when it was issued. So asking for options writes nothing (an anonymous caller
/// cannot fill a table with challenges, and no clean-up is needed), and any instance checks it. It is single use
/// because the write that completes a ceremony also raises a floor to its issue time, with an ETag, on the row it
/// changes anyway: the passkey's row at sign-in, the account's at registration. A replay, or a second answer to the
/// same challenge, finds the floor at or past it.
/// </summary>
internal sealed class PasskeyChallenges(IOptions<AuthCookieOptions> cookieOptions, AuthMount mount, ServerKey serverKey, TimeProvider time)
{
    /// <summary>The options' timeout, and the cookie's lifetime.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);

    public const int ChallengeBytes = 32;

    private const string Version = "w1";
    private static readonly byte[] Purpose = "passkey-challenge-v1"u8.ToArray();

    public AuthCookie Cookie { get; } = AuthCookie.PasskeyChallenge(cookieOptions, mount);

    /// <summary>A new challenge for <paramref name="kind"/>, set in the response's cookie.</summary>
    public IssuedChallenge Issue(HttpResponse response, CeremonyKind kind, string userId)
    {
        var issued = new IssuedChallenge(kind, userId, time.GetUtcNow().ToUnixTimeMilliseconds(), RandomNumberGenerator.GetBytes(ChallengeBytes));
        var body = string.Join(
            '.', Version, kind.ToString(), userId.Length == 0 ? "-" : userId, issued.IssuedAt.ToString(CultureInfo.InvariantCulture), Base64UrlEncoder.Encode(issued.Challenge));
        Cookie.Append(response, serverKey.Sign(Purpose, body), Lifetime);
        return issued;
    }

    /// <summary>The request's challenge for <paramref name="kind"/> (and <paramref name="userId"/>, when given), if its MAC holds and it has not expired.</summary>
    public IssuedChallenge? Read(HttpRequest request, CeremonyKind kind, string? userId)
    {
        var values = Cookie.ReadAll(request);
        if (values.Count != 1
            || serverKey.Verified(Purpose, values[0])?.Split('.') is not [Version, var kindName, var owner, var issued, var challenge]
            || kindName != kind.ToString()
            || !long.TryParse(issued, NumberStyles.None, CultureInfo.InvariantCulture, out var issuedAt))
        {
            return null;
        }

        var ownerId = owner == "-" ? "" : owner;
        var age = time.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(issuedAt);
        return (userId is null || ownerId == userId) && age >= -MfaOptions.ClockSkew && age < Lifetime
            ? new IssuedChallenge(kind, ownerId, issuedAt, Base64UrlEncoder.DecodeBytes(challenge))
            : null;
    }

    public void Clear(HttpResponse response) => Cookie.Clear(response);
}
