using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Serverless.Auth.Cookies;
using Serverless.Auth.Http;
using Serverless.Auth.Oidc;
using Serverless.Auth.Passkeys;
using Serverless.Auth.Passwords;
using Serverless.Auth.Storage;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Throttling;
using Serverless.Auth.Tokens;
using Serverless.Standalone;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Hosting;

/// <summary>
/// A missing or unsafe setting stops start-up with a message that names it. The validators are tested on
/// their own, each bound from the same settings a host reads; a host is started only for what start-up
/// itself decides: that every validator runs then, and that unreachable storage stops it.
/// </summary>
public sealed partial class StartupValidationTests(AzuriteFixture azurite)
{
    /// <summary>One bad setting per settings section, with what the message must say.</summary>
    public static TheoryData<string, string?, string> OneBadSettingPerSection => new()
    {
        { "Auth:Storage:UsersTable", "bad-name", "Auth__Storage__UsersTable" },
        { "Auth:Jwt:SigningKey", null, "Auth__Jwt__SigningKey is required" },
        { "Auth:Revocation:SyncIntervalMilliseconds", "50", "Auth__Revocation__SyncIntervalMilliseconds" },
        { "Auth:Cookie:SameSite", "None", "Auth__Cookie__SameSite=None requires Auth__Cookie__Secure=true" },
        { "Auth:Password:MinLength", "6", "Auth__Password__MinLength" },
        { "Auth:Argon2:MemoryKiB", "1024", "Auth__Argon2__MemoryKiB" },
        { "Auth:Throttling:TrustedProxies", "not-an-ip", "Auth__Throttling__TrustedProxies" },
        { "Auth:AllowedOrigins", "*", "Auth__AllowedOrigins" },
        { "Host:CORS", "*", "Host.CORS contains '*' while Host.CORSCredentials is true" },
        { "Auth:Passkeys:RpId", "azurewebsites.net", "Auth__Passkeys__RpId must be a registrable domain" },
        { "Auth:Oidc:Providers:google:ClientId", "id.apps.googleusercontent.com", "Auth__Oidc__Providers__google__ClientSecret is required" },
    };

    /// <summary>A provider's settings, each set with a secret and client id unless the case is about them, and what the message must say.</summary>
    public static TheoryData<string, string, string, string> UnsafeProviders => new()
    {
        { "okta", "Authority", "http://example.okta.com", "Auth__Oidc__Providers__okta__Authority must be an https URL" },
        { "okta", "Authority", "https://example.okta.com?x=1", "Auth__Oidc__Providers__okta__Authority must be an https URL" },
        { "okta", "Authority", "https://user@example.okta.com", "Auth__Oidc__Providers__okta__Authority must be an https URL" },
        { "okta", "DisplayName", "Okta", "Auth__Oidc__Providers__okta__Authority is required" },
        { "okta", "ClientSecret", " ", "Auth__Oidc__Providers__okta__ClientSecret is required" },
        { "google", "ClientId", " ", "Auth__Oidc__Providers__google__ClientId is required" },
        { "google", "Scopes", "email profile", "Auth__Oidc__Providers__google__Scopes must include openid" },
        { "my-idp", "Authority", "https://idp.example", "a provider name is 1-32 lowercase letters and digits" },
        { "Google", "DisplayName", "G", "a provider name is 1-32 lowercase letters and digits" },
    };

    [Theory]
    [MemberData(nameof(UnsafeProviders))]
    public void AnUnsafeProviderIsRefusedNamingTheSetting(string provider, string field, string value, string expected)
    {
        var failures = ValidationFailures(azurite.Settings(s =>
        {
            s[$"Auth:Oidc:Providers:{provider}:ClientId"] = "client";
            s[$"Auth:Oidc:Providers:{provider}:ClientSecret"] = "secret";
            s[$"Auth:Oidc:Providers:{provider}:{field}"] = value;
        }));

        Assert.Contains(failures, failure => failure.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void ALoopbackTestProviderIsAcceptedAndAzureNeedsTheRedirectBaseUrl()
    {
        var settings = azurite.Settings(s =>
        {
            s["Auth:Oidc:Providers:test:Authority"] = "http://127.0.0.1:4000";
            s["Auth:Oidc:Providers:test:ClientId"] = "client";
            s["Auth:Oidc:Providers:test:ClientSecret"] = "secret";
        });
        Assert.Empty(ValidationFailures(settings));

        var options = Bound<OidcOptions>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), "Auth:Oidc");
        var inAzure = new OidcOptionsValidator(new DeploymentEnvironment(RunningInAzure: true, IsDevelopment: false)).Validate(null, options);
        Assert.Contains("Auth__Oidc__RedirectBaseUrl is required in Azure", inAzure.FailureMessage, StringComparison.Ordinal);

        options.RedirectBaseUrl = "https://api.example/auth";
        var withPath = new OidcOptionsValidator(new DeploymentEnvironment(RunningInAzure: true, IsDevelopment: false)).Validate(null, options);
        Assert.Contains("Auth__Oidc__RedirectBaseUrl must be the API's public base URL", withPath.FailureMessage, StringComparison.Ordinal);

        options.RedirectBaseUrl = "https://api.example";
        Assert.True(new OidcOptionsValidator(new DeploymentEnvironment(RunningInAzure: true, IsDevelopment: false)).Validate(null, options).Succeeded);
    }

    [Fact]
    public void TheTestSettingsPassEveryValidator() => Assert.Empty(ValidationFailures(azurite.Settings()));

    [Theory]
    [MemberData(nameof(OneBadSettingPerSection))]
    [InlineData("Auth:Jwt:SigningKey", "dG9vIHNob3J0", "Auth__Jwt__SigningKey must be base64 of at least 32")]
    [InlineData("Auth:Jwt:Issuer", "", "Auth__Jwt__Issuer is required")]
    [InlineData("Auth:Jwt:LifetimeMinutes", "0", "Auth__Jwt__LifetimeMinutes")]
    [InlineData("Auth:Revocation:StaleAfterMilliseconds", "1500", "Auth__Revocation__StaleAfterMilliseconds")]
    [InlineData("Auth:Cookie:Partitioned", "true", "Auth__Cookie__Partitioned=true requires Auth__Cookie__Secure=true")]
    [InlineData("Auth:Storage:ConnectionString", null, "Auth__Storage__ConnectionString or Auth__Storage__TableServiceUri is required")]
    [InlineData("Auth:Storage:TableServiceUri", "https://acct.table.core.windows.net", "both set")]
    [InlineData("Auth:AllowedOrigins", "https://app.example/path", "Auth__AllowedOrigins")]
    [InlineData("Host:CORS", "http://localhost:5173/", "Host.CORS has entries that are not origins")]
    [InlineData("Auth:Passkeys:RpId", "com", "Auth__Passkeys__RpId must be a registrable domain")]
    [InlineData("Auth:Passkeys:RpId", "127.0.0.1", "Auth__Passkeys__RpId must be a registrable domain")]
    [InlineData("Auth:Passkeys:RpId", "example.com", "Auth__Passkeys__Origins: no frontend origin may use the RP id example.com")]
    [InlineData("Auth:Passkeys:Origins", "https://evil.example", "Auth__Passkeys__Origins must list https origins")]
    [InlineData("Auth:Passkeys:MaxPerUser", "0", "Auth__Passkeys__MaxPerUser")]
    public void UnsafeOrMissingSettingIsRefusedNamingIt(string key, string? value, string expected)
    {
        var failures = ValidationFailures(azurite.Settings(s => s[key] = value));

        Assert.Contains(failures, failure => failure.Contains(expected, StringComparison.Ordinal));
    }

    /// <summary>Each validator is wired to run at start-up, and its message reaches the developer.</summary>
    [Theory]
    [MemberData(nameof(OneBadSettingPerSection))]
    public async Task AnUnsafeSettingStopsTheHostNamingIt(string key, string? value, string expected)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => azurite.StartApiAsync(s => s[key] = value));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnreachableStorageStopsTheHostNamingTheSetting()
    {
        var nothingListens = TableEndpointPort().Replace(azurite.ConnectionString, "127.0.0.1:" + AzuriteProcess.FreeTcpPort().ToString(System.Globalization.CultureInfo.InvariantCulture));

        var error = await Assert.ThrowsAsync<StartupRefusedException>(() => azurite.StartApiAsync(s =>
        {
            s["Auth:Storage:ConnectionString"] = nothingListens;
            s["Auth:Storage:TimeoutSeconds"] = "1";
            s["Auth:Storage:MaxRetries"] = "0";
        }));

        Assert.Contains("is not reachable (Auth__Storage__ConnectionString)", error.Message, StringComparison.Ordinal);
    }

    /// <summary>What start-up validation checks, without a host: each settings class bound from the settings, then its validator.</summary>
    private static List<string> ValidationFailures(IReadOnlyDictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return
        [
            .. Validate(configuration, "Auth:Storage", new StorageOptionsValidator()),
            .. Validate(configuration, "Auth:Jwt", new JwtOptionsValidator()),
            .. Validate(configuration, "Auth:Revocation", new RevocationOptionsValidator()),
            .. Validate(configuration, "Auth:Cookie", new AuthCookieOptionsValidator()),
            .. Validate(configuration, "Auth:Password", new PasswordOptionsValidator()),
            .. Validate(configuration, "Auth:Argon2", new Argon2OptionsValidator()),
            .. Validate(configuration, "Auth:Throttling", new ThrottlingOptionsValidator()),
            .. Validate(configuration, "Auth", new RequestOriginOptionsValidator()),
            .. Validate(configuration, "Host", new HostCorsOptionsValidator()),
            .. Validate(configuration, "Auth:Passkeys", new PasskeyOptionsValidator(Options.Create(Bound<RequestOriginOptions>(configuration, "Auth")))),
            .. Validate(configuration, "Auth:Oidc", new OidcOptionsValidator(new DeploymentEnvironment(RunningInAzure: false, IsDevelopment: false))),
        ];
    }

    private static IEnumerable<string> Validate<TOptions>(IConfiguration configuration, string section, IValidateOptions<TOptions> validator)
        where TOptions : class, new()
    {
        var result = validator.Validate(Options.DefaultName, Bound<TOptions>(configuration, section));
        return result.Failed ? result.Failures ?? [result.FailureMessage] : [];
    }

    private static TOptions Bound<TOptions>(IConfiguration configuration, string section)
        where TOptions : class, new()
    {
        var options = new TOptions();
        configuration.GetSection(section).Bind(options);
        return options;
    }

    [GeneratedRegex(@"127\.0\.0\.1:\d+")]
    private static partial Regex TableEndpointPort();
}
