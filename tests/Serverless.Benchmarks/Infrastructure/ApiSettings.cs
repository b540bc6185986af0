using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serverless.Auth.Email;
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

    /// <summary>
    /// The in-process API runs without its mail sender: the rows measure request paths, and mail that
    /// nobody receives (no SMTP server in the suite) would only add retries in the background.
    /// </summary>
    public static void WithoutMailSender(WebApplicationBuilder builder) =>
        builder.Services.Remove(builder.Services.Single(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(MailQueueService)));
}
