using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Serverless.Auth.Cookies;
using Serverless.Auth.Secrets;

namespace Serverless.Auth.Throttling;

/// <summary>
/// OWASP's device cookies ("Slow Down Online Guessing Attacks with Device Cookies"): a browser that
/// has signed in to an account gets a cookie, signed with the server key, naming that account. Its
/// login attempts for that account are limited per device, not by the account-wide backoff, so an
/// attacker hammering the account cannot lock its owner out of a browser they have used before.
/// The value is <c>deviceId.mac</c>; the mac covers the account key, so the cookie says nothing
/// about the account and is worthless for any other.
/// </summary>
internal sealed class DeviceCookies(IOptions<AuthCookieOptions> options, ServerKey serverKey)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(180);
    private static readonly byte[] Purpose = "device-cookie"u8.ToArray();

    public AuthCookie Cookie { get; } = AuthCookie.Device(options);

    public void Issue(HttpResponse response, string accountKey)
    {
        var deviceId = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16));
        Cookie.Append(response, deviceId + "." + Mac(serverKey.Keys[0], accountKey, deviceId), Lifetime);
    }

    /// <summary>The id of a device cookie presented for this account (any of the values; any key of the ring), or null.</summary>
    public string? TrustedDeviceId(HttpRequest request, string accountKey)
    {
        foreach (var value in Cookie.ReadAll(request))
        {
            var dot = value.IndexOf('.', StringComparison.Ordinal);
            if (dot != 22 || value.Length != 22 + 1 + 43)
            {
                continue;
            }

            var deviceId = value[..dot];
            var mac = Encoding.ASCII.GetBytes(value[(dot + 1)..]);
            if (serverKey.Keys.Any(key => CryptographicOperations.FixedTimeEquals(mac, Encoding.ASCII.GetBytes(Mac(key, accountKey, deviceId)))))
            {
                return deviceId;
            }
        }

        return null;
    }

    private static string Mac(RingKey key, string accountKey, string deviceId) =>
        Base64UrlEncoder.Encode(ServerKey.Derive(key, Purpose, Encoding.UTF8.GetBytes(accountKey + "\n" + deviceId)));
}
