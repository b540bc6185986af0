using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Serverless.Testing;

/// <summary>
/// Serverless.Standalone as the tests and benchmarks run it: the settings of an instance of its own, and
/// starting a built app in this process. (Compiled only into projects that reference Serverless.Standalone.)
/// </summary>
public static class TestApi
{
    public static string NewSigningKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>One server key for every instance this process starts: instances sharing tables must derive the same refresh successors.</summary>
    public static string ProcessServerKey { get; } = NewSigningKey();

    /// <summary>
    /// Tables of its own on the given storage (named with <paramref name="tableSuffix"/>, random when null), a
    /// fresh signing key unless one is shared, a plain-http Lax cookie, and rate limits high enough that many
    /// requests from one address are not throttled (the tests that check limits lower them).
    /// </summary>
    public static Dictionary<string, string?> Settings(string connectionString, string? tableSuffix = null, string? signingKey = null, string? serverKey = null)
    {
        var suffix = tableSuffix ?? Guid.NewGuid().ToString("N")[..10];
        return new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Warning",
            ["Auth:Storage:ConnectionString"] = connectionString,
            ["Auth:Storage:UsersTable"] = "Users" + suffix,
            ["Auth:Storage:RevocationsTable"] = "Revoked" + suffix,
            ["Auth:Storage:LoginThrottleTable"] = "Throttle" + suffix,
            ["Auth:Storage:SessionsTable"] = "Sessions" + suffix,
            ["Auth:Jwt:Issuer"] = "https://api.test",
            ["Auth:Jwt:Audience"] = "https://app.test",
            ["Auth:Jwt:SigningKey"] = signingKey ?? NewSigningKey(),
            ["Auth:Secrets:ServerKey"] = serverKey ?? ProcessServerKey,
            ["Auth:Cookie:Secure"] = "false",
            ["Auth:Cookie:SameSite"] = "Lax",
            ["Auth:AllowedOrigins"] = "http://localhost:5173",
            ["Auth:Throttling:LoginPerMinute"] = "100000",
            ["Auth:Throttling:SignupPerMinute"] = "100000",
            ["Auth:Throttling:RefreshPerMinute"] = "100000",
        };
    }

    /// <summary>Starts a built app and returns the address Kestrel bound (the real port when urls asked for port 0).</summary>
    public static async Task<Uri> StartAsync(WebApplication app, CancellationToken cancellationToken = default)
    {
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Uri(address);
    }
}
