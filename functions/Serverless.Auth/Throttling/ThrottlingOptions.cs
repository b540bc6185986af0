using System.Net;
using Microsoft.Extensions.Options;

namespace Serverless.Auth.Throttling;

/// <summary>Settings under <c>Auth__Throttling__*</c>: per-account backoff and per-client rate limits.</summary>
public sealed class ThrottlingOptions
{
    public const string Section = "Auth:Throttling";

    /// <summary>Consecutive failed logins for one email before backoff starts.</summary>
    public int FreeFailures { get; set; } = 5;

    /// <summary>First backoff window; it doubles with each further failure.</summary>
    public int BaseDelaySeconds { get; set; } = 2;

    /// <summary>Longest window: backoff, never a permanent lockout an attacker could inflict.</summary>
    public int MaxDelaySeconds { get; set; } = 900;

    /// <summary>Login attempts per client address per minute (token bucket).</summary>
    public int LoginPerMinute { get; set; } = 30;

    /// <summary>Signups per client address per minute; also bounds email probing through signup's 409.</summary>
    public int SignupPerMinute { get; set; } = 10;

    /// <summary>Refreshes per client address per minute (two tabs of one browser share it).</summary>
    public int RefreshPerMinute { get; set; } = 60;

    /// <summary>
    /// Proxies (IP or CIDR, comma-separated) whose X-Forwarded-For is believed. Empty: the TCP peer is
    /// the client. Never list addresses clients can reach directly.
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

        if (options.LoginPerMinute < 1 || options.SignupPerMinute < 1 || options.RefreshPerMinute < 1)
        {
            failures.Add("Auth__Throttling__LoginPerMinute, Auth__Throttling__SignupPerMinute and Auth__Throttling__RefreshPerMinute must be at least 1.");
        }

        foreach (var entry in (options.TrustedProxies ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!IPNetwork.TryParse(entry, out _) && !IPAddress.TryParse(entry, out _))
            {
                failures.Add($"Auth__Throttling__TrustedProxies must hold IP addresses or CIDR ranges; '{entry}' is neither.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
