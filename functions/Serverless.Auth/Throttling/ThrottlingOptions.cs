using System.Net;
using Microsoft.Extensions.Options;

namespace Serverless.Auth.Throttling;

/// <summary>Settings under <c>Auth__Throttling__*</c>: per-account backoff and per-client rate limits.</summary>
public sealed class ThrottlingOptions
{
    /// <summary>The configuration section these settings bind to (<c>Auth__Throttling__*</c> environment variables).</summary>
    public const string Section = "Auth:Throttling";

    /// <summary>
    /// Consecutive failed logins for one email before backoff starts (1-50); also wrong second-factor codes per account,
    /// counted apart.
    /// </summary>
    public int FreeFailures { get; set; } = 5;

    /// <summary>The first backoff window in seconds (at least 1); it doubles with each further failure, up to <see cref="MaxDelaySeconds"/>.</summary>
    public int BaseDelaySeconds { get; set; } = 2;

    /// <summary>
    /// The longest backoff window in seconds (from <see cref="BaseDelaySeconds"/> to 86400): backoff, never a permanent
    /// lockout an attacker could inflict.
    /// </summary>
    public int MaxDelaySeconds { get; set; } = 900;

    /// <summary>
    /// Login attempts per client address per minute, per instance (token bucket; at least 1, as every rate). The session
    /// list, logout-all, sessions/revoke, password and account/delete share it.
    /// </summary>
    public int LoginPerMinute { get; set; } = 30;

    /// <summary>Signups per client address per minute, per instance; also bounds email probing through signup's 409.</summary>
    public int SignupPerMinute { get; set; } = 10;

    /// <summary>Refreshes per client address per minute, per instance (two tabs of one browser share it).</summary>
    public int RefreshPerMinute { get; set; } = 60;

    /// <summary>
    /// Requests per client address per minute, per instance, to the mail routes: email/confirm, email/resend,
    /// password/forgot and password/reset.
    /// </summary>
    public int EmailPerMinute { get; set; } = 10;

    /// <summary>Device cookies honoured per account, the most recently issued; an older one counts as absent. 1-100.</summary>
    public int MaxDevicesPerAccount { get; set; } = 10;

    /// <summary>
    /// IPs / CIDRs (comma-separated) whose <c>X-Forwarded-For</c> is believed beyond the address the host already resolved.
    /// Empty: that address is the client. Never list addresses clients can reach directly. Leave it empty in Azure
    /// Functions: the worker already sees the client's address, and no forwarded chain reaches it. The standalone host
    /// also reads <c>Standalone__ForwardedHeadersProxies</c> (<see href="security-model.md">brute force and rate limits</see>).
    /// Ranges covering public space wholesale are refused: IPv4 shorter than <c>/8</c>, public IPv4 shorter than
    /// <c>/12</c>, public IPv6 shorter than <c>/24</c>, all IPv4-mapped (<c>0.0.0.0/0</c>, <c>::/0</c>).
    /// </summary>
    public string? TrustedProxies { get; set; }

    internal IReadOnlyList<IPNetwork> TrustedNetworks =>
        [.. (TrustedProxies ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(ParseNetwork)];

    internal static IPNetwork ParseNetwork(string value) =>
        value.Contains('/', StringComparison.Ordinal) ? IPNetwork.Parse(value) : new IPNetwork(IPAddress.Parse(value), IPAddress.Parse(value).GetAddressBytes().Length * 8);
}

internal sealed class ThrottlingOptionsValidator : IValidateOptions<ThrottlingOptions>
{
    public ValidateOptionsResult Validate(string? name, ThrottlingOptions options)
    {
        var failures = new List<string>();
        if (options.FreeFailures is < 1 or > 50)
        {
            failures.Add("Auth__Throttling__FreeFailures must be between 1 and 50 (NIST SP 800-63B: at most 100 consecutive failures).");
        }

        if (options.BaseDelaySeconds < 1 || options.MaxDelaySeconds < options.BaseDelaySeconds || options.MaxDelaySeconds > 86400)
        {
            failures.Add("Auth__Throttling__BaseDelaySeconds must be at least 1 and Auth__Throttling__MaxDelaySeconds between it and 86400.");
        }

        if (options.LoginPerMinute < 1 || options.SignupPerMinute < 1 || options.RefreshPerMinute < 1 || options.EmailPerMinute < 1)
        {
            failures.Add("Auth__Throttling__LoginPerMinute, Auth__Throttling__SignupPerMinute, Auth__Throttling__RefreshPerMinute and Auth__Throttling__EmailPerMinute must be at least 1.");
        }

        if (options.MaxDevicesPerAccount is < 1 or > 100)
        {
            failures.Add("Auth__Throttling__MaxDevicesPerAccount must be between 1 and 100: each honoured device cookie has free failures of its own.");
        }

        foreach (var entry in (options.TrustedProxies ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!IPNetwork.TryParse(entry, out _) && !IPAddress.TryParse(entry, out _))
            {
                failures.Add($"Auth__Throttling__TrustedProxies must hold IP addresses or CIDR ranges; '{entry}' is neither.");
            }
            else if (TooBroad(ThrottlingOptions.ParseNetwork(entry)))
            {
                failures.Add($"Auth__Throttling__TrustedProxies lists '{entry}', a range that covers public address space wholesale: anyone in it could set X-Forwarded-For and pick the address the rate limits count. List your proxies' own addresses or ranges (public IPv4 ranges /12 or narrower, IPv6 /24 or narrower).");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    // Blocks with no public addresses: a proxy range inside one of them may be as wide as the block.
    private static readonly IPNetwork[] NonPublic =
    [
        IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("100.64.0.0/10"),
        IPNetwork.Parse("fc00::/7"), IPNetwork.Parse("fe80::/10"),
    ];

    /// <summary>
    /// A trusted-proxy range is refused when it is wider than any one operator's proxies: IPv4 shorter
    /// than /8 always (no non-public block is wider than /8); IPv4 /8 to /11 and IPv6 shorter than /24
    /// unless inside a non-public block (private, loopback, shared, unique-local, link-local). The largest
    /// published CDN proxy ranges (Cloudflare: /13 and /29) stay allowed. An IPv6 range that holds every
    /// IPv4-mapped address (::ffff:0:0/96) counts as its IPv4 equivalent.
    /// </summary>
    internal static bool TooBroad(IPNetwork network)
    {
        var address = network.BaseAddress;
        var prefix = network.PrefixLength;
        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            if (prefix >= 96 && address.IsIPv4MappedToIPv6)
            {
                return TooBroad(new IPNetwork(address.MapToIPv4(), prefix - 96));
            }

            if (prefix < 96 && SamePrefix(address, IPv4Mapped, prefix))
            {
                return true;
            }

            return prefix < 24 && !NonPublic.Any(block => block.PrefixLength <= prefix && block.Contains(address));
        }

        return prefix < 8 || (prefix < 12 && !NonPublic.Any(block => block.PrefixLength <= prefix && block.Contains(address)));
    }

    private static readonly IPAddress IPv4Mapped = IPAddress.Parse("::ffff:0:0");

    // (IPNetwork.Contains treats an IPv4-mapped address as its IPv4 form, so compare the bits here.)
    private static bool SamePrefix(IPAddress a, IPAddress b, int bits)
    {
        var (x, y) = (a.GetAddressBytes(), b.GetAddressBytes());
        for (var i = 0; i < bits; i++)
        {
            if (((x[i / 8] >> (7 - (i % 8))) & 1) != ((y[i / 8] >> (7 - (i % 8))) & 1))
            {
                return false;
            }
        }

        return true;
    }
}
