using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Serverless.Auth.Accounts;
using Serverless.Auth.Cookies;
using Serverless.Auth.Http;
using Serverless.Auth.Secrets;

namespace Serverless.Auth.Mfa;

/// <summary>A sign-in waiting for its second step, as its cookie says (MAC checked).</summary>
/// <param name="IssuedAt">Unix milliseconds; spent once the account's pending floor reaches it.</param>
/// <param name="Remember">The login's <c>remember</c>, for the session the second step starts.</param>
/// <param name="FirstFactor">How the first step was taken: <c>pwd</c> (the password) or <c>fed</c> (a provider sign-in).</param>
internal sealed record PendingSignIn(string UserId, long IssuedAt, bool Remember, string PasswordStamp, string FirstFactor = "pwd")
{
    public DateTimeOffset IssuedAtTime => DateTimeOffset.FromUnixTimeMilliseconds(IssuedAt);
}

/// <summary>
/// The pending cookie between the right password and the second step: HttpOnly, the session cookies' Secure / SameSite /
/// Partitioned settings, <c>Path</c> = the auth base path + <c>/mfa</c>, <c>Auth__Mfa__PendingSeconds</c>. Its value is
/// MAC'd with the server key and names the account, when it was issued, and a stamp of the password hash it was issued
/// under, so a password change or reset in between voids it. Single use: the code that completes the sign-in also
/// writes the account's pending floor (<see cref="MfaState.PendingFloor"/>) in the same conditional write.
/// </summary>
internal sealed class PendingSignIns(IOptions<AuthCookieOptions> cookieOptions, AuthMount mount, ServerKey serverKey, IOptions<MfaOptions> options, TimeProvider time)
{
    private const string Version = "p1";

    // A first step other than the password adds its method as a last part (p1 stays as it was: a release from before reads it).
    private const string VersionWithFirstFactor = "p2";
    private static readonly byte[] Purpose = "mfa-pending-v1"u8.ToArray();
    private readonly TimeSpan lifetime = options.Value.PendingLifetime;

    public AuthCookie Cookie { get; } = AuthCookie.PendingSignIn(cookieOptions, mount);

    /// <summary>Issues the cookie for an account whose password just matched; returns when the step expires.</summary>
    public DateTimeOffset Issue(HttpResponse response, UserAccount account, bool remember, string firstFactor = "pwd")
    {
        var now = time.GetUtcNow();
        var body = string.Join('.', Version, account.UserId, now.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), remember ? "1" : "0", PasswordStamp(account));
        if (firstFactor != "pwd")
        {
            body = VersionWithFirstFactor + body[Version.Length..] + "." + firstFactor;
        }

        Cookie.Append(response, serverKey.Sign(Purpose, body), lifetime);
        return now + lifetime;
    }

    /// <summary>The pending sign-in the request's cookie names, if its MAC holds and it has not expired; else null.</summary>
    public PendingSignIn? Read(HttpRequest request)
    {
        var values = Cookie.ReadAll(request);
        if (values.Count != 1)
        {
            return null;
        }

        var parts = serverKey.Verified(Purpose, values[0])?.Split('.');
        var firstFactor = parts is [VersionWithFirstFactor, _, _, _, _, "fed"] ? "fed" : "pwd";
        if (parts is not ([Version, _, _, _, _] or [VersionWithFirstFactor, _, _, _, _, "fed"])
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var issuedAt))
        {
            return null;
        }

        var pending = new PendingSignIn(parts[1], issuedAt, parts[3] == "1", parts[4], firstFactor);
        // Another instance issued it: its clock may be a little ahead of this one's (the skew tokens are allowed too).
        var age = time.GetUtcNow() - pending.IssuedAtTime;
        return age >= -MfaOptions.ClockSkew && age < lifetime ? pending : null;
    }

    /// <summary>Whether the pending sign-in may still complete for the account as it is now.</summary>
    public static bool IsLiveFor(PendingSignIn pending, UserAccount account) =>
        account.UserId == pending.UserId
        && account.Mfa.TotpEnabled
        && pending.IssuedAt > account.Mfa.PendingFloor
        && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(PasswordStamp(account)), Encoding.ASCII.GetBytes(pending.PasswordStamp));

    public void Clear(HttpResponse response) => Cookie.Clear(response);

    /// <summary>401 for a second step without a live pending sign-in (the cookie cleared).</summary>
    public ProblemHttpResult Refuse(HttpResponse response)
    {
        Clear(response);
        return TypedResults.Problem(
            statusCode: StatusCodes.Status401Unauthorized, title: "No sign-in to complete.",
            detail: "The second step expired, was completed already, or was never started. Sign in again.",
            extensions: new Dictionary<string, object?> { ["code"] = "mfa_pending_invalid" });
    }

    /// <summary>Not the hash itself: 96 bits of its SHA-256 tell whether it changed, and nothing about the password.</summary>
    internal static string PasswordStamp(UserAccount account) => Base64UrlEncoder.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(account.PasswordHash))[..12]);
}
