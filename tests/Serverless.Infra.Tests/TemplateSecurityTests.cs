using System.Text.RegularExpressions;
using System.Text.Json.Nodes;
using Serverless.Infra.Tests.Infrastructure;

namespace Serverless.Infra.Tests;

/// <summary>Security properties of the compiled template, each read from the resource that carries it.</summary>
public sealed partial class TemplateSecurityTests(InfraFixture infra)
{
    private JsonObject Site => infra.Template.One("Microsoft.Web/sites").Resource;

    private IReadOnlyDictionary<string, string> Settings => Site.AppSettings();

    [Fact]
    public void StorageAccountRefusesSharedKeysAndAnonymousAccess()
    {
        var properties = infra.Template.One("Microsoft.Storage/storageAccounts").Resource.At("properties");

        Assert.False(properties.Flag("allowSharedKeyAccess"));
        Assert.False(properties.Flag("allowBlobPublicAccess"));
        Assert.Equal("TLS1_2", properties.Text("minimumTlsVersion"));
        Assert.True(properties.Flag("supportsHttpsTrafficOnly"));
        Assert.True(properties.Flag("defaultToOAuthAuthentication"));
    }

    [Fact]
    public void StorageHoldsThePrivateDeploymentContainerAndTheThreeAppTables()
    {
        var container = infra.Template.One("Microsoft.Storage/storageAccounts/blobServices/containers").Resource;
        Assert.Equal("None", container.Text("properties", "publicAccess"));

        var snapshot = infra.ValidSnapshot;
        Assert.True(snapshot.Succeeded, snapshot.Run.ToString());
        var tables = snapshot.Resources("Microsoft.Storage/storageAccounts/tableServices/tables").Select(table => table.Text("name").Split('/')[^1]);
        Assert.Equal(["Users", "RevokedTokens", "LoginThrottle"], tables);
        var deployment = snapshot.One("Microsoft.Storage/storageAccounts/blobServices/containers").Text("name").Split('/')[^1];
        var settings = snapshot.One("Microsoft.Web/sites").AppSettings();
        Assert.Equal("Users", settings["Auth__Storage__UsersTable"]);
        Assert.Equal("RevokedTokens", settings["Auth__Storage__RevocationsTable"]);
        Assert.Equal("LoginThrottle", settings["Auth__Storage__LoginThrottleTable"]);
        Assert.EndsWith("'" + deployment + "')]", snapshot.One("Microsoft.Web/sites").Text("properties", "functionAppConfig", "deployment", "storage", "value"), StringComparison.Ordinal);
    }

    [Fact]
    public void FunctionAppIsHttpsOnlyWithTls12AndFtpDisabled()
    {
        var properties = Site.At("properties");

        Assert.True(properties.Flag("httpsOnly"));
        Assert.Equal("1.2", properties.Text("siteConfig", "minTlsVersion"));
        Assert.Equal("1.2", properties.Text("siteConfig", "scmMinTlsVersion"));
        Assert.Equal("Disabled", properties.Text("siteConfig", "ftpsState"));
    }

    [Fact]
    public void BasicPublishingCredentialsAreRefusedForFtpAndScm()
    {
        var policies = infra.Template.ResourcesOfType("Microsoft.Web/sites/basicPublishingCredentialsPolicies")
            .ToDictionary(found => ChildName().Match(found.Resource.Text("name")).Groups["child"].Value, found => found.Resource);

        Assert.Equal(["ftp", "scm"], policies.Keys.Order());
        Assert.All(policies.Values, policy => Assert.False(policy.Flag("properties", "allow")));
    }

    [Fact]
    public void FunctionAppRunsDotnetIsolated10OnFlexConsumptionAsTheUserAssignedIdentity()
    {
        var plan = infra.Template.One("Microsoft.Web/serverfarms").Resource;
        Assert.Equal("FC1", plan.Text("sku", "name"));
        Assert.Equal("FlexConsumption", plan.Text("sku", "tier"));
        Assert.True(plan.Flag("properties", "reserved"));

        var config = Site.At("properties", "functionAppConfig");
        Assert.Equal("dotnet-isolated", config.Text("runtime", "name"));
        Assert.Equal("10.0", config.Text("runtime", "version"));
        Assert.Equal("UserAssignedIdentity", config.Text("deployment", "storage", "authentication", "type"));
        Assert.Equal("[parameters('identityId')]", config.Text("deployment", "storage", "authentication", "userAssignedIdentityResourceId"));
        Assert.Equal("UserAssigned", Site.Text("identity", "type"));
        Assert.Equal("functionapp,linux", Site.Text("kind"));

        // On Flex Consumption the runtime lives in functionAppConfig; these app settings are rejected.
        Assert.DoesNotContain("FUNCTIONS_WORKER_RUNTIME", Settings.Keys);
        Assert.DoesNotContain("FUNCTIONS_EXTENSION_VERSION", Settings.Keys);
        Assert.DoesNotContain("WEBSITE_RUN_FROM_PACKAGE", Settings.Keys);
    }

    [Fact]
    public void HostStorageUsesTheManagedIdentityAndNoConnectionString()
    {
        Assert.Equal("managedidentity", Settings["AzureWebJobsStorage__credential"]);
        Assert.Equal("[parameters('identityClientId')]", Settings["AzureWebJobsStorage__clientId"]);
        Assert.Contains("AzureWebJobsStorage__accountName", Settings.Keys);
        Assert.DoesNotContain("AzureWebJobsStorage", Settings.Keys);
        Assert.DoesNotContain(Settings, setting => setting.Value.Contains("AccountKey", StringComparison.OrdinalIgnoreCase) || setting.Value.Contains("listKeys", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain("listKeys", infra.TemplateText, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("AccountKey=", infra.TemplateText, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void AppTablesUseTheTableServiceUriAndTheManagedIdentity()
    {
        Assert.Equal("[format('https://{0}.table.{1}', parameters('storageAccountName'), environment().suffixes.storage)]", Settings["Auth__Storage__TableServiceUri"]);
        Assert.Equal("[parameters('identityClientId')]", Settings["Auth__Storage__ManagedIdentityClientId"]);
        Assert.DoesNotContain("Auth__Storage__ConnectionString", Settings.Keys);

        var evaluated = infra.ValidSnapshot.One("Microsoft.Web/sites").AppSettings();
        Assert.Matches(@"^\[format\('https://\{0\}\.table\.\{1\}', 'st[a-z0-9]{13}', environment\(\)\.suffixes\.storage\)\]$", evaluated["Auth__Storage__TableServiceUri"]);
    }

    [Fact]
    public void SigningKeyIsAKeyVaultReferenceResolvedWithTheUserAssignedIdentity()
    {
        Assert.Equal("[format('@Microsoft.KeyVault(SecretUri={0})', parameters('signingKeySecretUri'))]", Settings["Auth__Jwt__SigningKey"]);
        Assert.Equal("[parameters('identityId')]", Site.Text("properties", "keyVaultReferenceIdentity"));

        var evaluated = infra.ValidSnapshot.One("Microsoft.Web/sites").AppSettings()["Auth__Jwt__SigningKey"];
        Assert.StartsWith("[format('@Microsoft.KeyVault(SecretUri={0})', reference('", evaluated, StringComparison.Ordinal);
        Assert.Contains("/providers/Microsoft.KeyVault/vaults/kv-", evaluated, StringComparison.Ordinal);
        Assert.EndsWith(").secretUri)]", evaluated, StringComparison.Ordinal);
        Assert.DoesNotContain(InfraFixture.TestSigningKey, infra.ValidSnapshot.One("Microsoft.Web/sites").Raw(), StringComparison.Ordinal);
    }

    [Fact]
    public void SigningKeyIsASecureParameterThatOnlyKeyVaultReceives()
    {
        Assert.Equal("securestring", infra.Template.Parameters.Text("jwtSigningKey", "type"));
        var uses = infra.Template.All.SelectMany(template => template.OwnResources)
            .Where(resource => resource.Raw().Contains("parameters('jwtSigningKey')", StringComparison.Ordinal))
            .Select(resource => resource.Text("name"))
            .ToList();
        Assert.Equal(["keyVault"], uses);

        var (keyVault, secret) = infra.Template.One("Microsoft.KeyVault/vaults/secrets");
        Assert.Equal("[parameters('signingKey')]", secret.Text("properties", "value"));
        Assert.Equal("securestring", keyVault.Parameters.Text("signingKey", "type"));
        Assert.Equal("[parameters('jwtSigningKey')]", keyVault.ModuleParameterValue("signingKey"));
    }

    [Fact]
    public void KeyVaultUsesRbacSoftDeleteAndPurgeProtection()
    {
        var properties = infra.Template.One("Microsoft.KeyVault/vaults").Resource.At("properties");

        Assert.True(properties.Flag("enableRbacAuthorization"));
        Assert.True(properties.Flag("enablePurgeProtection"));
        Assert.True(properties.Flag("enableSoftDelete"));
        Assert.Null(properties["accessPolicies"]);
    }

    [Fact]
    public void MonitoringRefusesLocalAuthenticationAndTheAppSendsWithEntraId()
    {
        Assert.True(infra.Template.One("Microsoft.Insights/components").Resource.Flag("properties", "DisableLocalAuth"));
        Assert.True(infra.Template.One("Microsoft.OperationalInsights/workspaces").Resource.Flag("properties", "features", "disableLocalAuth"));

        Assert.Equal("[format('ClientId={0};Authorization=AAD', parameters('identityClientId'))]", Settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]);
        Assert.Contains("APPLICATIONINSIGHTS_CONNECTION_STRING", Settings.Keys);
    }

    [Fact]
    public void RoleAssignmentsAreLeastPrivilegeAndNamedByScopePrincipalAndRole()
    {
        var expected = new Dictionary<string, string>
        {
            ["b7e6dc6d-f1e8-4753-8033-0f276bb0955b"] = "Microsoft.Storage/storageAccounts", // Storage Blob Data Owner: host + deployment
            ["974c5e8b-45b9-4653-ba55-5f855dd0fb88"] = "Microsoft.Storage/storageAccounts", // Storage Queue Data Contributor: host
            ["0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"] = "Microsoft.Storage/storageAccounts", // Storage Table Data Contributor: app tables
            ["4633458b-17de-408a-b874-0445c86b69e6"] = "Microsoft.KeyVault/vaults/secrets", // Key Vault Secrets User: the one secret
            ["3913510d-42f4-4e42-8a64-420c390055eb"] = "Microsoft.Insights/components",     // Monitoring Metrics Publisher
        };

        var assignments = infra.Template.ResourcesOfType("Microsoft.Authorization/roleAssignments");
        var granted = new Dictionary<string, string>();
        foreach (var (template, assignment) in assignments)
        {
            var roleReference = RoleReference().Match(assignment.Text("properties", "roleDefinitionId"));
            Assert.True(roleReference.Success, assignment.Raw());
            var role = template.Variables.Text("roles", roleReference.Groups["key"].Value);
            var scope = assignment.Text("scope");
            var name = assignment.Text("name");

            Assert.Equal($"[guid({scope[1..^1]}, parameters('principalId'), variables('roles').{roleReference.Groups["key"].Value})]", name);
            Assert.Equal("[parameters('principalId')]", assignment.Text("properties", "principalId"));
            Assert.Equal("ServicePrincipal", assignment.Text("properties", "principalType"));
            Assert.StartsWith($"[resourceId('{expected.GetValueOrDefault(role, "(unexpected role)")}'", scope, StringComparison.Ordinal);
            granted[role] = scope;
        }

        Assert.Equal(expected.Keys.Order(), granted.Keys.Order());
        Assert.Equal(expected.Count, assignments.Count);
    }

    [Fact]
    public void OutputsContainNoSecret()
    {
        foreach (var template in infra.Template.All)
        {
            var secureParameters = template.Parameters
                .Where(parameter => parameter.Value!.Text("type") is "securestring" or "secureObject")
                .Select(parameter => $"parameters('{parameter.Key}')")
                .ToList();
            foreach (var output in template.Outputs.Select(pair => pair.Value!))
            {
                var text = output.Raw();
                Assert.DoesNotContain("secure", output.Text("type"), StringComparison.OrdinalIgnoreCase);
                Assert.DoesNotMatch(SecretLooking(), text);
                Assert.All(secureParameters, parameter => Assert.DoesNotContain(parameter, text, StringComparison.Ordinal));
                Assert.DoesNotContain("ConnectionString", text, StringComparison.OrdinalIgnoreCase);
            }
        }

        var main = infra.Template.Outputs;
        Assert.Equal("[format('https://{0}/api', reference('functionApp').outputs.defaultHostName.value)]", main.Text("API_BASE_URL", "value"));
        Assert.Contains("AZURE_FUNCTION_APP_NAME", main.Select(output => output.Key));
        Assert.Contains("AZURE_STORAGE_ACCOUNT_NAME", main.Select(output => output.Key));
        Assert.Contains("AZURE_KEY_VAULT_NAME", main.Select(output => output.Key));
    }

    [Fact]
    public void ResourceNamesComeFromOneDeterministicResourceToken()
    {
        Assert.Equal("[toLower(uniqueString(subscription().id, resourceGroup().id, parameters('environmentName'), parameters('location')))]", infra.Template.Variables.Text("resourceToken"));
        Assert.All(infra.Template.Variables.At("names").AsObject().Where(name => !name.Key.StartsWith("deployment", StringComparison.Ordinal) && !name.Key.StartsWith("signingKey", StringComparison.Ordinal)),
            name => Assert.Contains("variables('resourceToken')", name.Value!.GetValue<string>(), StringComparison.Ordinal));

        var outputs = infra.ValidSnapshot.Outputs;
        var token = outputs.Text("AZURE_STORAGE_ACCOUNT_NAME")[2..];
        Assert.Matches("^[a-z0-9]{13}$", token);
        Assert.Equal($"func-{token}", outputs.Text("AZURE_FUNCTION_APP_NAME"));
        Assert.Equal($"kv-{token}", outputs.Text("AZURE_KEY_VAULT_NAME"));
    }

    [GeneratedRegex(@"'(?<child>[a-z]+)'\)\]$")]
    private static partial Regex ChildName();

    [GeneratedRegex(@"variables\('roles'\)\.(?<key>\w+)\)\]$")]
    private static partial Regex RoleReference();

    [GeneratedRegex(@"listKeys|listSecrets|listCredentials|AccountKey|InstrumentationKey|properties\.ConnectionString|\.value\.keys", RegexOptions.IgnoreCase)]
    private static partial Regex SecretLooking();
}
