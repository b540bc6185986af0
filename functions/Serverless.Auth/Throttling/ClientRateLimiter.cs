using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Serverless.Auth.Throttling;

/// <summary>Which bucket a request draws from.</summary>
internal enum RateLimitedAction
{
    /// <summary>
    /// Everything that checks a password or manages sessions: login, password change, account deletion, the
    /// session list, revoking a session, sign-out everywhere (one bucket, Auth__Throttling__LoginPerMinute).
    /// </summary>
    Credentials,
    Signup,
    Refresh,

    /// <summary>The mail endpoints: confirm, resend, forgot, reset.</summary>
    Email,
}

/// <summary>
/// Per-client-address token buckets for login, signup and refresh, in this instance's memory (a burst
/// control; the per-account backoff in storage is what holds across instances).
/// </summary>
internal sealed class ClientRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<(RateLimitedAction, string)> limiter;
    private readonly IReadOnlyList<IPNetwork> trustedProxies;

    public ClientRateLimiter(IOptions<ThrottlingOptions> options)
    {
        var settings = options.Value;
        trustedProxies = settings.TrustedNetworks;
        limiter = PartitionedRateLimiter.Create<(RateLimitedAction Action, string Client), (RateLimitedAction, string)>(key =>
        {
            var perMinute = key.Action switch
            {
                RateLimitedAction.Signup => settings.SignupPerMinute,
                RateLimitedAction.Refresh => settings.RefreshPerMinute,
                RateLimitedAction.Email => settings.EmailPerMinute,
                _ => settings.LoginPerMinute,
            };
            return RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = perMinute,
                TokensPerPeriod = perMinute,
                ReplenishmentPeriod = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            });
        });
    }

    /// <summary>Zero when allowed; otherwise how long the client should wait.</summary>
    public TimeSpan TryAcquire(RateLimitedAction action, HttpContext context)
    {
        using var lease = limiter.AttemptAcquire((action, ClientAddress(context)));
        if (lease.IsAcquired)
        {
            return TimeSpan.Zero;
        }

        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) && retryAfter > TimeSpan.Zero
            ? retryAfter
            : TimeSpan.FromSeconds(1);
    }

    /// <summary>
    /// The bucket key for this request's client. The start is <c>Connection.RemoteIpAddress</c> as the
    /// host left it: under the Functions host the worker's own forwarded-headers middleware has already
    /// replaced the loopback peer (the host) with the one X-Forwarded-For entry the host's forwarder
    /// set, the host's own TCP peer; client-sent X-Forwarded-For never reaches the worker, because the
    /// host's forwarder replaces the header. Only when that address is itself a trusted proxy
    /// (<c>Auth__Throttling__TrustedProxies</c>, for proxies in front of Standalone) is the remaining
    /// X-Forwarded-For walked from the right to the first entry that is not trusted (entries further
    /// left are client-supplied and can be forged). IPv6 clients are keyed per /64 (one subscriber's
    /// allocation); IPv4-mapped IPv6 counts as the IPv4 address.
    /// </summary>
    internal string ClientAddress(HttpContext context) => ClientIp(context) is { } client ? Key(client) : "unknown";

    /// <summary>The client's address as <see cref="ClientAddress"/> finds it, whole (not keyed per /64); null when the host knows no peer.</summary>
    internal IPAddress? ClientIp(HttpContext context)
    {
        var peer = context.Connection.RemoteIpAddress;
        if (peer is null || !IsTrusted(peer))
        {
            return peer;
        }

        var forwarded = context.Request.Headers["X-Forwarded-For"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        for (var i = forwarded.Length - 1; i >= 0; i--)
        {
            if (!TryParseAddress(forwarded[i], out var address))
            {
                break;
            }

            if (!IsTrusted(address))
            {
                return address;
            }

            peer = address;
        }

        return peer;
    }

    /// <summary>
    /// IPv4 (also IPv4-mapped IPv6) as the address; IPv6 as its /64, since one subscriber usually holds a
    /// whole /64 and can pick a fresh address in it for every request.
    /// </summary>
    internal static string Key(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4().ToString();
        }

        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }

    public void Dispose() => limiter.Dispose();

    private bool IsTrusted(IPAddress address)
    {
        var normalized = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        return trustedProxies.Any(network => network.Contains(normalized));
    }

    // Accepts "1.2.3.4", "1.2.3.4:5678", "::1" and "[::1]:5678" (App Service appends the port).
    private static bool TryParseAddress(string value, out IPAddress address)
    {
        if (IPAddress.TryParse(value, out address!))
        {
            return true;
        }

        var withoutPort = value.StartsWith('[') ? value[1..Math.Max(1, value.IndexOf(']', StringComparison.Ordinal))] : value[..Math.Max(0, value.LastIndexOf(':'))];
        return IPAddress.TryParse(withoutPort, out address!);
    }
}
