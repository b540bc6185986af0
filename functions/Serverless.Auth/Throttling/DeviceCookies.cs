using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Serverless.Auth.Accounts;
using Serverless.Auth.Cookies;
using Serverless.Auth.Http;
using Serverless.Auth.Secrets;

namespace Serverless.Auth.Throttling;

/// <summary>
/// A device cookie whose mac checked out for the account key it was presented for: which device, which
/// user it was issued to, and its place in the account's issue order.
/// </summary>
internal sealed record DeviceCookie(string DeviceId, string UserId, long Sequence)
{
    /// <summary>
    /// Whether the account still honours it: issued to this user (not to a deleted account that had the
    /// address before), after the last credential change (<see cref="UserAccount.DeviceFloor"/>), and among
    /// the <paramref name="maxDevices"/> most recently issued.
    /// </summary>
    public bool IsHonouredBy(UserAccount account, int maxDevices) =>
        UserId == account.UserId
        && Sequence > account.DeviceFloor
        && Sequence > account.DevicesIssued - maxDevices
        && Sequence <= account.DevicesIssued;
}

/// <summary>
/// OWASP's device cookies ("Slow Down Online Guessing Attacks with Device Cookies"): a browser that
/// has signed in to an account gets a cookie, signed with the server key, naming that account. Its
/// login attempts for that account are limited per device, not by the account-wide backoff, so an
/// attacker hammering the account cannot lock its owner out of a browser they have used before.
/// The value is <c>deviceId.userId.sequence.mac</c>; the mac covers the account key too, so the cookie is
/// worthless for any other account. The account row counts the devices issued: a password change, a
/// reset or a deletion voids every earlier cookie, and only the newest few are honoured (see
/// <see cref="DeviceCookie.IsHonouredBy"/>). The device id also binds the browser's sessions (grace window).
/// </summary>
internal sealed class DeviceCookies(IOptions<AuthCookieOptions> options, AuthMount mount, ServerKey serverKey)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(180);
    private const int DeviceIdLength = 22;
    private const int MacLength = 43;
    private static readonly byte[] Purpose = "device-cookie-v2"u8.ToArray();

    public AuthCookie Cookie { get; } = AuthCookie.Device(options, mount);

    public static string NewDeviceId() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16));

    public void Issue(HttpResponse response, string accountKey, string userId, string deviceId, long sequence)
    {
        var body = string.Join('.', deviceId, userId, sequence.ToString(CultureInfo.InvariantCulture));
        Cookie.Append(response, body + "." + Mac(serverKey.Keys[0], accountKey, body), Lifetime);
    }

    /// <summary>
    /// The device cookie presented for this account key whose mac checks out (any value, any key of the ring),
    /// or null. Whether the account still honours it needs the account row: <see cref="DeviceCookie.IsHonouredBy"/>.
    /// </summary>
    public DeviceCookie? Presented(HttpRequest request, string accountKey)
    {
        foreach (var value in Cookie.ReadAll(request))
        {
            var lastDot = value.LastIndexOf('.');
            if (lastDot < 0 || value.Length - lastDot - 1 != MacLength || Parse(value[..lastDot]) is not { } cookie)
            {
                continue;
            }

            var body = value[..lastDot];
            var mac = Encoding.ASCII.GetBytes(value[(lastDot + 1)..]);
            if (serverKey.Keys.Any(key => CryptographicOperations.FixedTimeEquals(mac, Encoding.ASCII.GetBytes(Mac(key, accountKey, body)))))
            {
                return cookie;
            }
        }

        return null;
    }

    /// <summary>
    /// The device ids of the device cookies a request carries, by shape only (also the earlier
    /// <c>deviceId.mac</c> form): a session is bound to the id its browser holds, whatever account it names.
    /// </summary>
    public IReadOnlyList<string> PresentedIds(HttpRequest request) =>
        [.. Cookie.ReadAll(request).Select(v => v.Length > DeviceIdLength && v[DeviceIdLength] == '.' ? v[..DeviceIdLength] : null)
            .OfType<string>().Where(IsDeviceId)];

    private static DeviceCookie? Parse(string body)
    {
        var parts = body.Split('.');
        return parts.Length == 3
            && IsDeviceId(parts[0])
            && Guid.TryParseExact(parts[1], "D", out var userId) && userId.ToString() == parts[1]
            && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
            && sequence.ToString(CultureInfo.InvariantCulture) == parts[2]
                ? new DeviceCookie(parts[0], parts[1], sequence)
                : null;
    }

    private static bool IsDeviceId(string value) =>
        value.Length == DeviceIdLength && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static string Mac(RingKey key, string accountKey, string body) =>
        Base64UrlEncoder.Encode(ServerKey.Derive(key, Purpose, Encoding.UTF8.GetBytes(accountKey + "\n" + body)));
}
