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
        return settings;
    }
}
