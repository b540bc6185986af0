using System.Security.Cryptography;

namespace Serverless.Benchmarks.Infrastructure;

/// <summary>Settings for one API instance: its own tables on a given Azurite, load-friendly rate limits.</summary>
internal static class ApiSettings
{
    public static string NewSigningKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public static Dictionary<string, string?> Create(string connectionString, string tableSuffix, string signingKey) => new()
    {
        ["Logging:LogLevel:Default"] = "Warning",
        ["Auth:Storage:ConnectionString"] = connectionString,
        ["Auth:Storage:UsersTable"] = "Users" + tableSuffix,
        ["Auth:Storage:RevocationsTable"] = "Revoked" + tableSuffix,
        ["Auth:Storage:LoginThrottleTable"] = "Throttle" + tableSuffix,
        ["Auth:Jwt:Issuer"] = "https://bench.local",
        ["Auth:Jwt:Audience"] = "https://bench-app.local",
        ["Auth:Jwt:SigningKey"] = signingKey,
        ["Auth:Cookie:Secure"] = "false",
        ["Auth:Cookie:SameSite"] = "Lax",
        ["Auth:AllowedOrigins"] = "http://localhost:5173",
        // Load runs come from one address and repeat failures on purpose: no rate limit or backoff in the way.
        ["Auth:Throttling:LoginPerMinute"] = "1000000",
        ["Auth:Throttling:SignupPerMinute"] = "1000000",
        ["Auth:Throttling:FreeFailures"] = "50",
    };

    /// <summary>The environment-variable form (<c>Auth__Jwt__Issuer</c>) for a separate process.</summary>
    public static Dictionary<string, string?> AsEnvironment(IReadOnlyDictionary<string, string?> settings) =>
        settings.ToDictionary(p => p.Key.Replace(":", "__", StringComparison.Ordinal), p => p.Value);
}
