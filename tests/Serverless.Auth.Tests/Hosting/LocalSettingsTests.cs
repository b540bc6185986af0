using Microsoft.Extensions.Configuration;
using Serverless.Standalone;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Hosting;

public sealed class LocalSettingsTests
{
    [Fact]
    public void ValuesAndHostSectionBecomeConfigurationKeys()
    {
        var path = Path.GetTempFileName();
        File.WriteAllText(path, """
            {
              "IsEncrypted": false,
              "Values": { "Auth__Jwt__Issuer": "http://localhost:7071", "Auth__Cookie__Secure": "false", "FUNCTIONS_WORKER_RUNTIME": "dotnet-isolated" },
              "Host": { "LocalHttpPort": 7071, "CORS": "http://localhost:5173,http://127.0.0.1:5173", "CORSCredentials": true }
            }
            """);

        var settings = LocalSettings.Read(path);

        Assert.Equal("http://localhost:7071", settings["Auth:Jwt:Issuer"]);
        Assert.Equal("false", settings["Auth:Cookie:Secure"]);
        Assert.Equal("dotnet-isolated", settings["FUNCTIONS_WORKER_RUNTIME"]);
        Assert.Equal("http://localhost:5173,http://127.0.0.1:5173", settings["Host:CORS"]);
        Assert.Equal("true", settings["Host:CORSCredentials"]);
        Assert.Equal("7071", settings["Host:LocalHttpPort"]);
    }

    [Fact]
    public void EnvironmentVariablesOverrideTheFile()
    {
        var path = Path.GetTempFileName();
        File.WriteAllText(path, """{ "Values": { "ServerlessProbe__FromFile": "file", "ServerlessProbe__Overridden": "file" } }""");
        Environment.SetEnvironmentVariable("ServerlessProbe__Overridden", "environment");
        try
        {
            var configuration = new ConfigurationManager();
            configuration.AddEnvironmentVariables();
            configuration.AddLocalSettingsFile(path);

            Assert.Equal("file", configuration["ServerlessProbe:FromFile"]);
            Assert.Equal("environment", configuration["ServerlessProbe:Overridden"]);
        }
        finally
        {
            Environment.SetEnvironmentVariable("ServerlessProbe__Overridden", null);
        }
    }

    [Fact]
    public void TheCommittedSampleIsAValidSettingsFileWithEveryDocumentedSetting()
    {
        var settings = LocalSettings.Read(RepoPaths.Combine("local.settings.sample.json"));

        Assert.Equal("dotnet-isolated", settings["FUNCTIONS_WORKER_RUNTIME"]);
        Assert.Equal("UseDevelopmentStorage=true", settings["AzureWebJobsStorage"]);
        Assert.Equal("true", settings["Host:CORSCredentials"]);
        foreach (var key in new[]
        {
            "Auth:Storage:ConnectionString", "Auth:Storage:UsersTable", "Auth:Jwt:Issuer", "Auth:Jwt:Audience", "Auth:Jwt:SigningKey",
            "Auth:Jwt:LifetimeSeconds", "Auth:Secrets:ServerKey", "Auth:Session:IdleMinutes", "Auth:Session:AbsoluteMinutes",
            "Auth:Storage:SessionsTable", "Auth:Cookie:Name", "Auth:Cookie:Secure", "Auth:Cookie:SameSite", "Auth:Cookie:Partitioned",
            "Auth:Cookie:Domain", "Auth:Password:MinLength", "Auth:Argon2:MemoryKiB", "Auth:Argon2:Iterations", "Auth:Argon2:Parallelism",
        })
        {
            Assert.True(settings.ContainsKey(key), key + " missing from local.settings.sample.json");
        }

        // The sample keys announce themselves as local-only when decoded.
        Assert.StartsWith("LOCAL-ONLY", System.Text.Encoding.ASCII.GetString(Convert.FromBase64String(settings["Auth:Jwt:SigningKey"]!)), StringComparison.Ordinal);
        Assert.StartsWith("LOCAL-ONLY", System.Text.Encoding.ASCII.GetString(Convert.FromBase64String(settings["Auth:Secrets:ServerKey"]!)), StringComparison.Ordinal);
        Assert.False(settings.ContainsKey("Auth:Jwt:LifetimeMinutes"), "the sample uses LifetimeSeconds only (both together are refused)");
    }
}
