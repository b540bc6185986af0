using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Serverless.Auth.Throttling;

/// <summary>Which bucket a request draws from. Session management shares login's; refresh has its own.</summary>
internal enum RateLimitedAction
{
    Login,
    Signup,
    Refresh,
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
    /// The TCP peer, unless it is a trusted proxy: then the right-most X-Forwarded-For entry that is
    /// not itself a trusted proxy (entries further left are client-supplied and can be forged).
    /// </summary>
    internal string ClientAddress(HttpContext context)
    {
        var peer = context.Connection.RemoteIpAddress;
        if (peer is null || !IsTrusted(peer))
        {
            return peer?.ToString() ?? "unknown";
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
                return address.ToString();
            }

            peer = address;
        }

        return peer.ToString();
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
