using Microsoft.Extensions.Configuration;
using Serverless.Auth.Secrets;

namespace Serverless.Auth.Tests.Hosting;

/// <summary>A Key Vault reference the platform could not resolve reaches the app as its literal text: start-up says so.</summary>
public sealed class KeyVaultReferenceTests
{
    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build();

    [Fact]
    public void UnresolvedReferenceStopsStartupNamingTheSettingAndTheFix()
    {
        var configuration = Configuration(
            ("Auth:Jwt:SigningKeys", "@Microsoft.KeyVault(SecretUri=https://kv-x.vault.azure.net/secrets/jwt-signing-keys)"),
            ("Auth:Jwt:Issuer", "https://api.example.com"));

        var result = new UnresolvedKeyVaultReferencesValidator().Validate(null, new UnresolvedKeyVaultReferences { Settings = UnresolvedKeyVaultReferences.Find(configuration) });

        Assert.True(result.Failed);
        var message = Assert.Single(result.Failures!);
        Assert.StartsWith("Auth__Jwt__SigningKeys is an unresolved Key Vault reference (its value still starts with \"@Microsoft.KeyVault(\")", message, StringComparison.Ordinal);
        Assert.Contains("config/configreferences/appsettings/refresh", message, StringComparison.Ordinal);
        Assert.Contains("az functionapp restart", message, StringComparison.Ordinal);
        Assert.DoesNotContain("jwt-signing-keys", message, StringComparison.Ordinal);
    }

    [Fact]
    public void ResolvedSettingsPass()
    {
        var configuration = Configuration(("Auth:Jwt:SigningKeys", "k1:" + Convert.ToBase64String(new byte[32])), ("Other:Value", "@Microsoft.KeyVault(x)"));

        Assert.Empty(UnresolvedKeyVaultReferences.Find(configuration));
    }

    [Fact]
    public async Task HostRefusesToStartWithAnUnresolvedReference()
    {
        var settings = Serverless.Testing.TestApi.DefaultSettings("UseDevelopmentStorage=true");
        settings["Auth:Jwt:SigningKey"] = null;
        settings["Auth:Jwt:SigningKeys"] = "@Microsoft.KeyVault(SecretUri=https://kv-x.vault.azure.net/secrets/jwt-signing-keys)";
        await using var app = Serverless.Standalone.StandaloneApp.Build(["--urls", "http://127.0.0.1:0"], settings);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => app.StartAsync(TestContext.Current.CancellationToken));

        // The reference is reported first (alone, or before the parse failure it explains).
        var first = error is AggregateException all ? all.InnerExceptions[0] : error;
        Assert.IsType<Microsoft.Extensions.Options.OptionsValidationException>(first);
        Assert.StartsWith("Auth__Jwt__SigningKeys is an unresolved Key Vault reference", first.Message, StringComparison.Ordinal);
    }
}
