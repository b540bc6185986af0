using Microsoft.Extensions.Options;
using Serverless.Auth.Tests.Infrastructure;

namespace Serverless.Auth.Tests.Hosting;

/// <summary>A missing or unsafe setting stops start-up with a message that names it.</summary>
public sealed class StartupValidationTests(AzuriteFixture azurite)
{
    [Theory]
    [InlineData("Auth:Jwt:SigningKey", null, "Auth__Jwt__SigningKey is required")]
    [InlineData("Auth:Jwt:SigningKey", "dG9vIHNob3J0", "Auth__Jwt__SigningKey must be base64 of at least 32")]
    [InlineData("Auth:Jwt:Issuer", "", "Auth__Jwt__Issuer is required")]
    [InlineData("Auth:Jwt:LifetimeMinutes", "0", "Auth__Jwt__LifetimeMinutes")]
    [InlineData("Auth:Cookie:SameSite", "None", "Auth__Cookie__SameSite=None requires Auth__Cookie__Secure=true")]
    [InlineData("Auth:Cookie:Partitioned", "true", "Auth__Cookie__Partitioned=true requires Auth__Cookie__Secure=true")]
    [InlineData("Auth:Storage:ConnectionString", null, "Auth__Storage__ConnectionString or Auth__Storage__TableServiceUri is required")]
    [InlineData("Auth:Storage:TableServiceUri", "https://acct.table.core.windows.net", "both set")]
    [InlineData("Auth:Storage:UsersTable", "bad-name", "Auth__Storage__UsersTable")]
    [InlineData("Auth:Argon2:MemoryKiB", "1024", "Auth__Argon2__MemoryKiB")]
    [InlineData("Auth:Password:MinLength", "6", "Auth__Password__MinLength")]
    [InlineData("Auth:AllowedOrigins", "*", "Auth__AllowedOrigins")]
    [InlineData("Auth:AllowedOrigins", "https://app.example/path", "Auth__AllowedOrigins")]
    [InlineData("Auth:Throttling:TrustedProxies", "not-an-ip", "Auth__Throttling__TrustedProxies")]
    [InlineData("Host:CORS", "*", "Host.CORS contains '*' while Host.CORSCredentials is true")]
    [InlineData("Host:CORS", "http://localhost:5173/", "Host.CORS has entries that are not origins")]
    public async Task UnsafeOrMissingSettingStopsStartupNamingIt(string key, string? value, string expected)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
            await azurite.StartApiAsync(s => s[key] = value));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
