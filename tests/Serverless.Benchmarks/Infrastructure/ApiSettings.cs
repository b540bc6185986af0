using Serverless.Testing;

namespace Serverless.Benchmarks.Infrastructure;

/// <summary>Settings for one API instance in the benchmarks: <see cref="TestApi.DefaultSettings"/> plus room for failures.</summary>
internal static class ApiSettings
{
    public static Dictionary<string, string?> Create(string connectionString, string tableSuffix, string signingKey)
    {
        var settings = TestApi.DefaultSettings(connectionString, tableSuffix, signingKey);
        // The enumeration row repeats failed logins on purpose: no backoff in the way.
        settings["Auth:Throttling:FreeFailures"] = "50";
        // The refresh rows send thousands of refreshes a minute from 127.0.0.1 (default 60 per client per minute).
        settings["Auth:Throttling:RefreshPerMinute"] = "10000000";
        return settings;
    }
}
