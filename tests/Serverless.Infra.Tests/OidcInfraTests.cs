using System.Text.Json.Nodes;
using Serverless.Infra.Tests.Infrastructure;

namespace Serverless.Infra.Tests;

/// <summary>
/// Issue 30 in Azure: the OpenID Connect providers (oidcProviders, from AUTH_OIDC_PROVIDERS) become the app settings
/// Auth__Oidc__Providers__&lt;name&gt;__*, each client secret (oidcClientSecrets, from AUTH_OIDC_CLIENT_SECRETS) a Key Vault
/// secret the app reads through a versionless reference, Auth__Oidc__RedirectBaseUrl is the Function App's https URL,
/// the redirect URIs to register are an output, and the deployment refuses, before anything is created, a provider the
/// app could not use.
/// </summary>
public sealed class OidcInfraTests(InfraFixture infra)
{
    private const string KeyVaultSecretsUser = EmailInfraTests.KeyVaultSecretsUser;

    private const string GoogleSecret = "google-client-secret-only-for-infra-tests";
    private const string OktaSecret = "okta-client-secret-only-for-infra-tests";

    /// <summary>A built-in provider with only its client id, and a generic one with every optional field.</summary>
    private const string GoogleAndOkta =
        """[{"name":"google","clientId":"1234.apps.googleusercontent.com"},""" +
        """{"name":"okta","authority":"https://example.okta.com/oauth2/default","clientId":"0oa-okta-client","scopes":"openid email","displayName":"Okta","trustEmail":false}]""";

    private const string BothSecrets = $$"""{"google":"{{GoogleSecret}}","okta":"{{OktaSecret}}"}""";

    [Fact]
    public void ProvidersAreATypedListAndTheirSecretsASecureMapThatOnlyKeyVaultReceives()
    {
        var providers = infra.Template.Parameters.At("oidcProviders");
        Assert.Equal("array", providers.Text("type"));
        Assert.Equal("#/definitions/oidcProvider", providers.Text("items", "$ref"));
        Assert.Empty(providers.At("defaultValue").AsArray());
        Assert.Equal(20, providers.At("maxLength").GetValue<int>());
        var provider = infra.Template.Json.At("definitions", "oidcProvider");
        Assert.False(provider.Flag("additionalProperties")); // @sealed(): a misspelt field (trustEmial) is refused, not ignored
        Assert.Equal(["authority", "clientId", "clientSecretInKeyVault", "displayName", "name", "scopes", "trustEmail"],
            provider.At("properties").AsObject().Select(property => property.Key).Order(StringComparer.Ordinal));
        Assert.Equal(32, provider.At("properties", "name", "maxLength").GetValue<int>());

        var secrets = infra.Template.Parameters.At("oidcClientSecrets");
        Assert.Equal("secureObject", secrets.Text("type"));
        Assert.Equal("string", secrets.Text("additionalProperties", "type"));
        Assert.Empty(secrets.At("defaultValue").AsObject());

        // The secrets are read by main's Key Vault list only: no resource, module parameter other than the vault's, or output.
        const string Parameter = "parameters('oidcClientSecrets')";
        Assert.Contains(Parameter, infra.Template.Variables.At("oidcKeyVaultSecrets").Raw(), StringComparison.Ordinal);
        Assert.DoesNotContain(infra.Template.All.SelectMany(template => template.OwnResources), resource =>
            resource["type"]?.GetValue<string>() != "Microsoft.Resources/deployments" && resource.Raw().Contains(Parameter, StringComparison.Ordinal));
        Assert.All(infra.Template.Modules, module => Assert.DoesNotContain(Parameter, (module.ModuleParameters ?? []).Raw(), StringComparison.Ordinal));
        Assert.DoesNotContain(Parameter, infra.Template.Outputs.Raw(), StringComparison.Ordinal);

        // The Function App gets the checked providers; their settings close the list.
        var (functionApp, site) = infra.Template.One("Microsoft.Web/sites");
        Assert.Equal("[__bicep.checkedOidcProviders(parameters('oidcProviders'))]", infra.Template.Variables.Text("checkedOidc"));
        Assert.Equal("[variables('checkedOidc')]", functionApp.ModuleParameterValue("oidcProviders"));
        Assert.EndsWith(", variables('oidcAppSettings')))]", site.Text("properties", "siteConfig", "appSettings"), StringComparison.Ordinal);
        Assert.Equal("[variables('appBaseUrl')]", site.AppSettings()["Auth__Oidc__RedirectBaseUrl"]);

        var parameters = File.ReadAllText(Serverless.Testing.RepoPaths.Combine("infra", "main.bicepparam"));
        Assert.Contains("param oidcProviders = json(readEnvironmentVariable('AUTH_OIDC_PROVIDERS', '[]'))", parameters, StringComparison.Ordinal);
        Assert.Contains("param oidcClientSecrets = json(readEnvironmentVariable('AUTH_OIDC_CLIENT_SECRETS', '{}'))", parameters, StringComparison.Ordinal);
    }

    [Fact]
    public void DefaultDeploymentHasNoProviderButSetsTheRedirectBaseToTheAppsHttpsUrl()
    {
        var snapshot = infra.ValidSnapshot;
        var site = snapshot.One("Microsoft.Web/sites");
        var settings = site.AppSettings();

        Assert.Equal($"https://{site.Text("name")}.azurewebsites.net", settings["Auth__Oidc__RedirectBaseUrl"]);
        Assert.DoesNotContain(settings.Keys, name => name.StartsWith("Auth__Oidc__Providers__", StringComparison.Ordinal));
        Assert.Empty(snapshot.Outputs.At("OIDC_REDIRECT_URIS").AsObject());
        Assert.DoesNotContain(EmailInfraTests.SecretNames(snapshot), name => name.StartsWith("oidc-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GoogleAndAGenericProviderBecomeSettingsKeyVaultSecretsAndRedirectUris()
    {
        var snapshot = await SnapshotAsync(("AUTH_OIDC_PROVIDERS", GoogleAndOkta), ("AUTH_OIDC_CLIENT_SECRETS", BothSecrets));

        Assert.True(snapshot.Succeeded, snapshot.Run.ToString());
        var site = snapshot.One("Microsoft.Web/sites");
        var app = site.Text("name");
        var vault = snapshot.Outputs.Text("AZURE_KEY_VAULT_NAME");
        var oidc = site.AppSettings().Where(setting => setting.Key.StartsWith("Auth__Oidc__", StringComparison.Ordinal)).ToDictionary();

        // google: the client id and secret only; the app supplies its authority, scopes, name and TrustEmail.
        // okta: every field given; TrustEmail false is written out, not dropped.
        Assert.Equal(new Dictionary<string, string>
        {
            ["Auth__Oidc__RedirectBaseUrl"] = $"https://{app}.azurewebsites.net",
            ["Auth__Oidc__Providers__google__ClientId"] = "1234.apps.googleusercontent.com",
            ["Auth__Oidc__Providers__google__ClientSecret"] = oidc["Auth__Oidc__Providers__google__ClientSecret"],
            ["Auth__Oidc__Providers__okta__ClientId"] = "0oa-okta-client",
            ["Auth__Oidc__Providers__okta__ClientSecret"] = oidc["Auth__Oidc__Providers__okta__ClientSecret"],
            ["Auth__Oidc__Providers__okta__Authority"] = "https://example.okta.com/oauth2/default",
            ["Auth__Oidc__Providers__okta__Scopes"] = "openid email",
            ["Auth__Oidc__Providers__okta__DisplayName"] = "Okta",
            ["Auth__Oidc__Providers__okta__TrustEmail"] = "false",
        }, oidc);

        foreach (var name in new[] { "google", "okta" })
        {
            // The secret is a versionless reference to its own Key Vault secret, written when given, readable by the app's identity alone.
            var reference = ArmPatterns.KeyVaultReference().Match(oidc[$"Auth__Oidc__Providers__{name}__ClientSecret"]);
            Assert.True(reference.Success, oidc[$"Auth__Oidc__Providers__{name}__ClientSecret"]);
            Assert.Equal((vault, $"oidc-{name}-client-secret"), (reference.Groups["vault"].Value, reference.Groups["secret"].Value));
            var written = snapshot.Resources("Microsoft.KeyVault/vaults/secrets").Single(found => found.Text("name") == $"{vault}/oidc-{name}-client-secret");
            Assert.Equal($"[not(empty(coalesce(tryGet(parameters('secretValues'), 'oidc-{name}-client-secret'), '')))]", written.Text("condition"));
            Assert.Contains($"/providers/Microsoft.KeyVault/vaults/{vault}/secrets/oidc-{name}-client-secret", EmailInfraTests.Scopes(snapshot, KeyVaultSecretsUser));

            // What users register at the provider: the app's redirect URI, built on the same base.
            Assert.Equal($"{oidc["Auth__Oidc__RedirectBaseUrl"]}/api/auth/oidc/{name}/callback", snapshot.Outputs.Text("OIDC_REDIRECT_URIS", name));
        }

        Assert.Equal(["google", "okta"], snapshot.Outputs.At("OIDC_REDIRECT_URIS").AsObject().Select(uri => uri.Key).Order(StringComparer.Ordinal));
        // The secrets appear nowhere in what is deployed or output (the snapshot leaves the secure values unevaluated,
        // and no setting or output is built from them).
        Assert.All(new[] { GoogleSecret, OktaSecret }, secret => Assert.DoesNotContain(secret, snapshot.Json!.Raw(), StringComparison.Ordinal));
    }

    /// <summary>
    /// A later provision without the secret: the provider says Key Vault holds it, so nothing is written over it and the
    /// app keeps reading it.
    /// </summary>
    [Fact]
    public async Task ASecretAlreadyInKeyVaultStaysReferencedWithoutBeingGivenAgain()
    {
        var snapshot = await SnapshotAsync(("AUTH_OIDC_PROVIDERS", """[{"name":"microsoft","clientId":"00000000-0000-0000-0000-000000000001","clientSecretInKeyVault":true}]"""));

        Assert.True(snapshot.Succeeded, snapshot.Run.ToString());
        var vault = snapshot.Outputs.Text("AZURE_KEY_VAULT_NAME");
        var settings = snapshot.One("Microsoft.Web/sites").AppSettings();
        Assert.Equal("00000000-0000-0000-0000-000000000001", settings["Auth__Oidc__Providers__microsoft__ClientId"]);
        Assert.Equal("oidc-microsoft-client-secret", ArmPatterns.KeyVaultReference().Match(settings["Auth__Oidc__Providers__microsoft__ClientSecret"]).Groups["secret"].Value);
        Assert.DoesNotContain("Auth__Oidc__Providers__microsoft__Authority", settings.Keys);
        Assert.DoesNotContain("Auth__Oidc__Providers__microsoft__TrustEmail", settings.Keys);
        Assert.Contains($"/providers/Microsoft.KeyVault/vaults/{vault}/secrets/oidc-microsoft-client-secret", EmailInfraTests.Scopes(snapshot, KeyVaultSecretsUser));
        Assert.Contains("oidc-microsoft-client-secret", EmailInfraTests.SecretNames(snapshot)); // declared, written only when given (condition above)
    }

    /// <summary>What the app would refuse at start-up, or App Service would mangle, stops the deployment instead.</summary>
    [Theory]
    [InlineData("""[{"name":"my-idp","authority":"https://idp.example.com","clientId":"a"}]""", "checkedOidc", "a provider name is 1-32 lower-case letters and digits (it is part of the redirect URI and of app setting names, from which App Service drops hyphens); not: my-idp")]
    [InlineData("""[{"name":"Google","clientId":"a"}]""", "checkedOidc", "; not: Google")]
    [InlineData("""[{"name":"","clientId":"a"}]""", null, "minimum allowable length is 1")]
    [InlineData("""[{"name":"abcdefghijklmnopqrstuvwxyz0123456","clientId":"a"}]""", null, "maximum allowable length is 32")]
    [InlineData("""[{"name":"google","clientId":"a"},{"name":"okta","authority":"https://x.example.com","clientId":"b"},{"name":"google","clientId":"c"}]""", "checkedOidc", "oidcProviders lists a provider more than once: google")]
    [InlineData("""[{"name":"okta","authority":"http://example.okta.com","clientId":"a"}]""", "checkedOidc", "an authority is the issuer's https URL with a lower-case host, e.g. https://login.example.com/tenant, without query or fragment; not the one of: okta")]
    [InlineData("""[{"name":"okta","authority":"http://localhost:3000","clientId":"a"}]""", "checkedOidc", "not the one of: okta")]
    [InlineData("""[{"name":"okta","authority":"https://example.okta.com?x=1","clientId":"a"}]""", "checkedOidc", "not the one of: okta")]
    [InlineData("""[{"name":"okta","authority":"https://","clientId":"a"}]""", "checkedOidc", "not the one of: okta")]
    [InlineData("""[{"name":"google","authority":"accounts.google.com","clientId":"a"}]""", "checkedOidc", "not the one of: google")]
    [InlineData("""[{"name":"okta","clientId":"a"}]""", "checkedOidc", "a provider other than google or microsoft needs an authority (the issuer URL that serves /.well-known/openid-configuration): okta")]
    [InlineData("""[{"name":"google","clientId":" "}]""", "checkedOidc", "every provider needs the clientId registered at the provider; missing for: google")]
    [InlineData("""[{"name":"google"}]""", null, "missing the following required properties: \"clientId\"")]
    [InlineData("""[{"name":"google","clientId":"a","trustEmial":true}]""", null, "The property \"trustEmial\" is not allowed")]
    public async Task DeploymentStopsBeforeCreatingAnythingGivenAProviderTheAppCannotUse(string providers, string? variable, string message)
    {
        var snapshot = await SnapshotAsync(("AUTH_OIDC_PROVIDERS", providers), ("AUTH_OIDC_CLIENT_SECRETS", """{"google":"s"}"""));

        Assert.False(snapshot.Succeeded, $"The template accepted {providers}:\n{snapshot.Run}");
        var output = snapshot.Run.StandardError + snapshot.Run.StandardOutput;
        if (variable is not null)
        {
            Assert.Contains($"'{variable}'", output, StringComparison.Ordinal);
        }

        Assert.Contains(message, output, StringComparison.Ordinal);
    }

    /// <summary>
    /// Each provider needs its client secret, given or already in Key Vault (else the app would point at a secret nobody
    /// wrote), and a secret must belong to a listed provider (a misspelt name would otherwise be dropped unnoticed). The
    /// snapshot leaves secure values unevaluated, so the function the deployment evaluates is probed; main.bicep's use of
    /// it is checked below. A refusal names the provider, never a secret.
    /// </summary>
    [Theory]
    [InlineData(BothSecrets, false, $"{GoogleSecret},{OktaSecret}", null)]
    [InlineData($$"""{"google":"{{GoogleSecret}}"}""", true, $"{GoogleSecret},", null)]
    [InlineData($$"""{"google":"{{GoogleSecret}}","okta":"{{OktaSecret}}"}""", true, $"{GoogleSecret},{OktaSecret}", null)]
    [InlineData($$"""{"google":"{{GoogleSecret}}"}""", false, null, "oidcProviders: okta has no client secret: give it in oidcClientSecrets (AUTH_OIDC_CLIENT_SECRETS, e.g. {\"okta\": \"<secret>\"}; it is stored as the Key Vault secret oidc-okta-client-secret), or set clientSecretInKeyVault on the provider when that secret already holds it.")]
    [InlineData($$"""{"google":"","okta":"{{OktaSecret}}"}""", false, null, "oidcProviders: google has no client secret")]
    [InlineData("{}", true, null, "oidcProviders: google has no client secret")]
    [InlineData($$"""{"google":"{{GoogleSecret}}","okta":"{{OktaSecret}}","gogle":"{{GoogleSecret}}"}""", false, null, "oidcClientSecrets has a secret for a provider that oidcProviders does not list: gogle")]
    public async Task EachProviderNeedsItsClientSecretOrTheFlagThatKeyVaultHoldsIt(string secrets, bool oktaInKeyVault, string? accepted, string? refusal)
    {
        var snapshot = await infra.SnapshotAsync(
            "using '{name}.bicep'\n" +
            "param providers = [{ name: 'google', clientId: 'a' }, { name: 'okta', authority: 'https://example.okta.com', clientId: 'b', clientSecretInKeyVault: " + (oktaInKeyVault ? "true" : "false") + " }]\n" +
            "param secrets = json(loadTextContent('{name}.json'))\n",
            null,
            new Dictionary<string, string>
            {
                ["{name}.bicep"] =
                    "import { oidcProvider, checkedOidcClientSecret } from 'app/oidc.bicep'\n" +
                    "param providers oidcProvider[]\n#disable-next-line secure-secrets-in-params\nparam secrets { *: string }\n" +
                    "output checked string = join(map(providers, provider => checkedOidcClientSecret(secrets, provider, providers)), ',')\n",
                ["{name}.json"] = secrets,
            });

        BicepToolingTests.AssertChecked(snapshot, refusal is null, accepted ?? "", refusal ?? "", GoogleSecret, OktaSecret);
    }

    /// <summary>main.bicep turns each checked provider into a Key Vault entry whose value is that check, always used.</summary>
    [Fact]
    public void EachProviderIsAKeyVaultSecretCheckedAndReferencedByItsAppSetting()
    {
        var entry = infra.Template.Variables.Text("oidcKeyVaultSecrets");

        Assert.StartsWith("[map(variables('checkedOidc'), lambda('provider', createObject(", entry, StringComparison.Ordinal);
        Assert.Contains("'name', format('oidc-{0}-client-secret', lambdaVariables('provider').name)", entry, StringComparison.Ordinal);
        Assert.Contains("'appSetting', format('Auth__Oidc__Providers__{0}__ClientSecret', lambdaVariables('provider').name)", entry, StringComparison.Ordinal);
        Assert.Contains("'value', __bicep.checkedOidcClientSecret(parameters('oidcClientSecrets'), lambdaVariables('provider'), variables('checkedOidc'))", entry, StringComparison.Ordinal);
        Assert.Contains("'used', true()", entry, StringComparison.Ordinal);
        Assert.Equal("[concat(filter(variables('keyVaultSecrets'), lambda('secret', lambdaVariables('secret').used)), variables('oidcKeyVaultSecrets'))]",
            infra.Template.Variables.Text("usedKeyVaultSecrets"));
    }

    private Task<Snapshot> SnapshotAsync(params (string Name, string Value)[] values) => infra.SnapshotAsync(InfraFixture.ValidEnvironmentWith(values));
}
