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
    public void StorageHoldsThePrivateDeploymentContainerAndTheAppTables()
    {
        var container = infra.Template.One("Microsoft.Storage/storageAccounts/blobServices/containers").Resource;
        Assert.Equal("None", container.Text("properties", "publicAccess"));

        var snapshot = infra.ValidSnapshot;
        Assert.True(snapshot.Succeeded, snapshot.Run.ToString());
        var tables = snapshot.Resources("Microsoft.Storage/storageAccounts/tableServices/tables").Select(table => table.Text("name").Split('/')[^1]);
        // The auth service's six, and the sample protected API's notes.
        Assert.Equal(["Users", "RevokedTokens", "LoginThrottle", "Sessions", "MailTokens", "MailQuotas", "Notes"], tables);
        var deployment = snapshot.One("Microsoft.Storage/storageAccounts/blobServices/containers").Text("name").Split('/')[^1];
        var settings = snapshot.One("Microsoft.Web/sites").AppSettings();
        Assert.Equal("Users", settings["Auth__Storage__UsersTable"]);
        Assert.Equal("RevokedTokens", settings["Auth__Storage__RevocationsTable"]);
        Assert.Equal("LoginThrottle", settings["Auth__Storage__LoginThrottleTable"]);
        Assert.Equal("Sessions", settings["Auth__Storage__SessionsTable"]);
        Assert.Equal("MailTokens", settings["Auth__Storage__MailTokensTable"]);
        Assert.Equal("MailQuotas", settings["Auth__Storage__MailQuotasTable"]);
        Assert.Equal("[parameters('sessionsTableName')]", Settings["Auth__Storage__SessionsTable"]);
        Assert.Equal("Sessions", infra.Template.Parameters.Text("sessionsTableName", "defaultValue"));
        Assert.Equal(3, infra.Template.Parameters.At("sessionsTableName", "minLength").GetValue<int>());
        Assert.Equal(63, infra.Template.Parameters.At("sessionsTableName", "maxLength").GetValue<int>());
        Assert.EndsWith("'" + deployment + "')]", snapshot.One("Microsoft.Web/sites").Text("properties", "functionAppConfig", "deployment", "storage", "value"), StringComparison.Ordinal);
    }

    /// <summary>
    /// Site properties and app settings that Learn lists under "Flex Consumption plan deprecations"
    /// (https://learn.microsoft.com/azure/azure-functions/functions-app-settings#flex-consumption-plan-deprecations).
    /// Several are refused outright: a site PUT with siteConfig.ftpsState fails with HTTP 400.
    /// </summary>
    private static readonly string[] FlexDeprecatedSiteProperties =
    [
        "alwaysOn", "containerSize", "dnsConfiguration", "ftpsState", "isReserved", "IsXenon", "javaVersion", "linuxFxVersion",
        "netFrameworkVersion", "powerShellVersion", "functionAppScaleLimit", "preWarmedInstanceCount", "use32BitWorkerProcess",
        "vnetBackupRestoreEnabled", "vnetContentShareEnabled", "vnetImagePullEnabled", "vnetRouteAllEnabled", "windowsFxVersion",
    ];

    private static readonly string[] FlexDeprecatedAppSettings =
    [
        "ENABLE_ORYX_BUILD", "FUNCTIONS_EXTENSION_VERSION", "FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_WORKER_RUNTIME_VERSION",
        "FUNCTIONS_MAX_HTTP_CONCURRENCY", "FUNCTIONS_WORKER_PROCESS_COUNT", "FUNCTIONS_WORKER_DYNAMIC_CONCURRENCY_ENABLED",
        "SCM_DO_BUILD_DURING_DEPLOYMENT", "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING", "WEBSITE_CONTENTOVERVNET", "WEBSITE_CONTENTSHARE",
        "WEBSITE_DNS_SERVER", "WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT", "WEBSITE_NODE_DEFAULT_VERSION", "WEBSITE_RUN_FROM_PACKAGE",
        "WEBSITE_SKIP_CONTENTSHARE_VALIDATION", "WEBSITE_VNET_ROUTE_ALL",
    ];

    [Fact]
    public void FunctionAppIsHttpsOnlyWithTls12()
    {
        var properties = Site.At("properties");

        Assert.True(properties.Flag("httpsOnly"));
        Assert.Equal("1.2", properties.Text("siteConfig", "minTlsVersion"));
        Assert.Equal("1.2", properties.Text("siteConfig", "scmMinTlsVersion"));
    }

    /// <summary>Issue 11, defect 1: nothing Flex Consumption deprecates, starting with ftpsState.</summary>
    [Fact]
    public void FunctionAppSetsNoSitePropertyOrAppSettingThatFlexConsumptionDeprecates()
    {
        var properties = Site.At("properties").AsObject();
        var siteConfig = properties.At("siteConfig").AsObject();
        var used = properties.Select(p => p.Key).Concat(siteConfig.Select(p => p.Key)).ToHashSet(StringComparer.OrdinalIgnoreCase);

        var settings = Settings.Keys.ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.Equal([], FlexDeprecatedSiteProperties.Where(used.Contains));
        Assert.Equal([], FlexDeprecatedAppSettings.Where(settings.Contains));
        Assert.Equal(["appSettings", "cors", "http20Enabled", "minTlsVersion", "scmMinTlsVersion"], siteConfig.Select(p => p.Key).Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// Issue 11, defect 1: the SCM endpoint (Core Tools and azd publish to it with an Entra ID token) refuses basic auth.
    /// No 'ftp' policy: Flex Consumption has no FTP, and nothing shows that it accepts one.
    /// </summary>
    [Fact]
    public void BasicPublishingCredentialsAreRefusedForScmAndNoFtpPolicyIsSent()
    {
        var policies = infra.Template.ResourcesOfType("Microsoft.Web/sites/basicPublishingCredentialsPolicies")
            .ToDictionary(found => ChildName().Match(found.Resource.Text("name")).Groups["child"].Value, found => found.Resource);

        Assert.Equal(["scm"], policies.Keys);
        Assert.False(policies["scm"].Flag("properties", "allow"));
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

    /// <summary>
    /// Issue 11, defect 3: the app reads each secret it is allowed to read through a versionless
    /// reference, so a rotation (a new version of that secret) reaches it without a template change.
    /// Auth__Jwt__SigningKeys takes a single bare key and the rotation form alike. Issue 12: the server
    /// key (same form) is a secret of its own, never in an app setting.
    /// </summary>
    [Theory]
    [InlineData("Auth__Jwt__SigningKeysPem", "jwt-signing-keys-pem")]
    [InlineData("Auth__Secrets__ServerKey", "server-key")]
    public void SecretIsAVersionlessKeyVaultReferenceToTheSecretTheIdentityMayRead(string setting, string secret)
    {
        // Issue 15: the JWT key settings reference their secret only in the modes that use it (else empty, i.e. unset).
        Assert.Contains($"format('@Microsoft.KeyVault(SecretUri={{0}})', ", Settings[setting], StringComparison.Ordinal);
        Assert.Matches($@"parameters\('keyVaultSecretUris'\)(\.{setting}\b|, '{setting}'\))", Settings[setting]);
        Assert.DoesNotContain("Auth__Jwt__SigningKey", Settings.Keys);
        Assert.Equal("[parameters('identityId')]", Site.Text("properties", "keyVaultReferenceIdentity"));

        var evaluated = infra.ValidSnapshot.One("Microsoft.Web/sites").AppSettings()[setting];
        var reference = ArmPatterns.KeyVaultReference().Match(evaluated);
        Assert.True(reference.Success, evaluated);
        Assert.Equal(infra.ValidSnapshot.Outputs.Text("AZURE_KEY_VAULT_NAME"), reference.Groups["vault"].Value);
        Assert.Equal(secret, reference.Groups["secret"].Value);
        Assert.DoesNotContain(InfraFixture.TestSigningKey, infra.ValidSnapshot.One("Microsoft.Web/sites").Raw(), StringComparison.Ordinal);
        Assert.DoesNotContain(InfraFixture.TestServerKey, infra.ValidSnapshot.One("Microsoft.Web/sites").Raw(), StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", infra.ValidSnapshot.One("Microsoft.Web/sites").Raw(), StringComparison.Ordinal);

        // The identity's Key Vault role is on the secret the reference names, and on no other scope than the listed secrets.
        var secretScopes = RoleAssignmentScopes("4633458b-17de-408a-b874-0445c86b69e6");
        Assert.Contains($"/providers/Microsoft.KeyVault/vaults/{reference.Groups["vault"].Value}/secrets/{secret}", secretScopes);
    }

    /// <summary>
    /// Every secret main.bicep lists becomes the app setting it names, referencing that secret, when the
    /// deployment uses it (issue 15: the signing mode decides); an unused one leaves its setting empty.
    /// </summary>
    [Fact]
    public void EveryListedKeyVaultSecretIsReferencedByItsAppSetting()
    {
        var settings = infra.ValidSnapshot.One("Microsoft.Web/sites").AppSettings();
        var secrets = infra.Template.Variables.At("keyVaultSecrets").AsArray().Select(secret => secret!.AsObject()).ToList();
        var used = infra.ValidSnapshot.Resources("Microsoft.KeyVault/vaults/secrets").Select(found => found.Text("name").Split('/')[^1]).ToHashSet();

        Assert.NotEmpty(secrets);
        Assert.Equal("", settings["Auth__Jwt__SigningKeys"]);
        Assert.All(secrets.Where(secret => used.Contains(secret.Text("name"))), secret =>
        {
            var reference = ArmPatterns.KeyVaultReference().Match(settings.GetValueOrDefault(secret.Text("appSetting"), ""));
            Assert.True(reference.Success, $"{secret.Text("appSetting")} is not a versionless Key Vault reference: {settings.GetValueOrDefault(secret.Text("appSetting"))}");
            Assert.Equal(secret.Text("name"), reference.Groups["secret"].Value);
        });
    }

    /// <summary>
    /// Issue 11, defect 3: a provision writes a secret only when given a value, so a redeploy without one
    /// leaves a rotation done in Key Vault alone; a value (e.g. the rotation form) becomes a new version.
    /// </summary>
    [Fact]
    public void KeyVaultSecretIsWrittenOnlyWhenAValueIsGiven()
    {
        var (keyVault, secret) = infra.Template.One("Microsoft.KeyVault/vaults/secrets");

        Assert.Equal("[not(empty(coalesce(tryGet(parameters('secretValues'), parameters('secretNames')[copyIndex()]), '')))]", secret.Text("condition"));
        Assert.Equal("[parameters('secretValues')[parameters('secretNames')[copyIndex()]]]", secret.Text("properties", "value"));
        Assert.Equal("secureObject", keyVault.Parameters.Text("secretValues", "type"));
        Assert.Equal("[toObject(variables('usedKeyVaultSecrets'), lambda('secret', lambdaVariables('secret').name), lambda('secret', lambdaVariables('secret').value))]", keyVault.ModuleParameterValue("secretValues"));

        Assert.All(new[] { "jwtSigningKeysPem", "jwtSigningKeys", "serverKey", "smtpPassword" }, name =>
        {
            var main = infra.Template.Parameters.At(name);
            Assert.Equal("securestring", main.Text("type"));
            Assert.Equal("", main.Text("defaultValue"));
        });
        // ES256, the default mode: the PEM keys and the server key; no HMAC key is written or read.
        Assert.Equal(["jwt-signing-keys-pem", "server-key"], infra.ValidSnapshot.Resources("Microsoft.KeyVault/vaults/secrets").Select(found => found.Text("name").Split('/')[^1]));
    }

    /// <summary>
    /// Issue 12: the server key is one more entry of main's secret list, so it is written, referenced and
    /// granted exactly like the JWT signing keys: a value (checked like them, and never one of their keys)
    /// is written, empty keeps what Key Vault holds.
    /// </summary>
    [Fact]
    public void ServerKeyIsAListedKeyVaultSecretCheckedLikeTheSigningKeysAndKeptApartFromThem()
    {
        var secrets = infra.Template.Variables.At("keyVaultSecrets").AsArray().Select(secret => secret!.AsObject()).ToList();
        Assert.Equal(["jwt-signing-keys-pem", "jwt-signing-keys", "server-key", "smtp-password"], secrets.Select(secret => secret.Text("name")));

        var serverKey = secrets.Single(secret => secret.Text("name") == "server-key");
        Assert.Equal("Auth__Secrets__ServerKey", serverKey.Text("appSetting"));
        Assert.Equal("[__bicep.checkedDistinctSecret(__bicep.checkedSecret(parameters('serverKey'), 'serverKey', 44), 'serverKey', parameters('jwtSigningKeys'), 'jwtSigningKeys')]", serverKey.Text("value"));
        Assert.Equal("[__bicep.checkedSecret(parameters('jwtSigningKeys'), 'jwtSigningKeys', 44)]", secrets.Single(secret => secret.Text("name") == "jwt-signing-keys").Text("value"));
    }

    [Fact]
    public void SigningKeysAreASecureParameterThatOnlyTheKeyVaultModuleReceives()
    {
        // Only main's list of secrets reads the parameter...
        foreach (var parameter in new[] { "parameters('jwtSigningKeysPem')", "parameters('jwtSigningKeys')", "parameters('serverKey')", "parameters('smtpPassword')" })
        {
            var uses = infra.Template.All.SelectMany(template => template.OwnResources)
                .Where(resource => resource.Raw().Contains(parameter, StringComparison.Ordinal))
                .ToList();
            Assert.Empty(uses);
            Assert.Contains(parameter, infra.Template.Variables.At("keyVaultSecrets").Raw(), StringComparison.Ordinal);
            Assert.DoesNotContain(parameter, infra.Template.Outputs.Raw(), StringComparison.Ordinal);
        }

        // ...and only a secure module parameter receives a secret's value.
        var receivers = infra.Template.Modules
            .SelectMany(module => (module.ModuleParameters ?? []).Select(parameter => (Module: module, parameter.Key, Value: parameter.Value!.Raw())))
            .Where(p => p.Value.Contains("lambdaVariables('secret').value", StringComparison.Ordinal))
            .Select(p => $"{p.Module.Path}.{p.Key}:{p.Module.Parameters.Text(p.Key, "type")}")
            .ToList();
        Assert.Equal(["main/keyVault.secretValues:secureObject"], receivers);
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

    /// <summary>
    /// Issue 11, defect 2: after `azd down` the purge-protected vault stays soft-deleted under its name.
    /// Re-provisioning either recovers it (createMode recover, its secrets come back) or salts the name.
    /// </summary>
    [Fact]
    public async Task ReprovisioningAfterAzdDownRecoversTheSoftDeletedVaultOrSaltsItsName()
    {
        Assert.Equal("[parameters('createMode')]", infra.Template.One("Microsoft.KeyVault/vaults").Resource.Text("properties", "createMode"));
        var createMode = infra.Template.Parameters.At("keyVaultCreateMode");
        Assert.Equal(["default", "recover"], createMode.At("allowedValues").AsArray().Select(value => value!.GetValue<string>()));
        Assert.Equal("default", createMode.Text("defaultValue"));
        Assert.Equal("default", infra.ValidSnapshot.One("Microsoft.KeyVault/vaults").Text("properties", "createMode"));
        var vaultName = infra.ValidSnapshot.Outputs.Text("AZURE_KEY_VAULT_NAME");

        var recover = await infra.SnapshotAsync(InfraFixture.ValidEnvironmentWith("AZURE_KEY_VAULT_CREATE_MODE", "recover"));
        Assert.True(recover.Succeeded, recover.Run.ToString());
        Assert.Equal("recover", recover.One("Microsoft.KeyVault/vaults").Text("properties", "createMode"));
        Assert.Equal(vaultName, recover.One("Microsoft.KeyVault/vaults").Text("name"));

        var salted = await infra.SnapshotAsync(InfraFixture.ValidEnvironmentWith("AZURE_KEY_VAULT_NAME_SALT", "r2"));
        Assert.True(salted.Succeeded, salted.Run.ToString());
        Assert.Equal($"{vaultName}-r2", salted.One("Microsoft.KeyVault/vaults").Text("name"));
        Assert.Equal($"{vaultName}-r2", salted.Outputs.Text("AZURE_KEY_VAULT_NAME"));
        Assert.Equal("default", salted.One("Microsoft.KeyVault/vaults").Text("properties", "createMode"));
        Assert.InRange(salted.Outputs.Text("AZURE_KEY_VAULT_NAME").Length, 3, 24);
    }

    [Fact]
    public void MonitoringRefusesLocalAuthenticationAndTheAppSendsWithEntraId()
    {
        Assert.True(infra.Template.One("Microsoft.Insights/components").Resource.Flag("properties", "DisableLocalAuth"));
        Assert.True(infra.Template.One("Microsoft.OperationalInsights/workspaces").Resource.Flag("properties", "features", "disableLocalAuth"));

        Assert.Equal("[format('ClientId={0};Authorization=AAD', parameters('identityClientId'))]", Settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]);
        Assert.Contains("APPLICATIONINSIGHTS_CONNECTION_STRING", Settings.Keys);
    }

    /// <summary>
    /// Issue 11, defect 7: only the roles the app uses, each on the narrowest scope: blobs on the account
    /// (host storage creates its own containers; the deployment package), the tables, each secret the app reads, the Application Insights component. Issue 12: the Sessions
    /// table gets its own table-scoped role, the server key its own secret-scoped role, and the clean-up
    /// timer (same app) needs nothing more. Issue 14: the mail queue and its poison queue Storage Queue
    /// Data Contributor on each queue, never on the account. Issue 17: the table role moves above the
    /// tables, because the app creates and drops one revocation change-log table a minute; issue 23: to the
    /// account, the narrowest documented scope above a table (Learn lists no table-service scope).
    /// </summary>
    [Fact]
    public void RoleAssignmentsAreLeastPrivilegeOnTheNarrowestScope()
    {
        var outputs = infra.ValidSnapshot.Outputs;
        var storage = $"/providers/Microsoft.Storage/storageAccounts/{outputs.Text("AZURE_STORAGE_ACCOUNT_NAME")}";
        var tables = infra.ValidSnapshot.Resources("Microsoft.Storage/storageAccounts/tableServices/tables").Select(table => table.Text("name").Split('/')[^1]).ToList();
        var queues = infra.ValidSnapshot.Resources("Microsoft.Storage/storageAccounts/queueServices/queues").Select(queue => queue.Text("name").Split('/')[^1]).ToList();
        var expected = new Dictionary<string, string[]>
        {
            ["b7e6dc6d-f1e8-4753-8033-0f276bb0955b"] = [storage], // Storage Blob Data Owner: host storage + deployment package
            ["0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"] = [storage], // Storage Table Data Contributor: the app creates and drops its revocation change-log tables
            [StorageQueueDataContributor] = [.. queues.Select(queue => $"{storage}/queueServices/default/queues/{queue}")],
            ["4633458b-17de-408a-b874-0445c86b69e6"] = [.. new[] { "jwt-signing-keys-pem", "server-key" }.Select(secret => $"/providers/Microsoft.KeyVault/vaults/{outputs.Text("AZURE_KEY_VAULT_NAME")}/secrets/{secret}")], // Key Vault Secrets User
            ["3913510d-42f4-4e42-8a64-420c390055eb"] = [$"/providers/Microsoft.Insights/components/{outputs.Text("AZURE_APPLICATION_INSIGHTS_NAME")}"], // Monitoring Metrics Publisher
        };

        Assert.Equal(["LoginThrottle", "MailQuotas", "MailTokens", "Notes", "RevokedTokens", "Sessions", "Users"], tables.Order());
        Assert.Equal(["auth-email", "auth-email-poison"], queues.Order());
        var granted = RoleAssignments().GroupBy(assignment => assignment.Role).ToDictionary(group => group.Key, group => group.Select(assignment => assignment.Scope).Order().ToArray());
        Assert.Equal(expected.Keys.Order(), granted.Keys.Order());
        Assert.All(expected, pair => Assert.Equal(pair.Value.Order(), granted[pair.Key]));
    }

    /// <summary>Storage Queue Data Contributor (Learn, "Azure built-in roles for Storage").</summary>
    internal const string StorageQueueDataContributor = "974c5e8b-45b9-4653-ba55-5f855dd0fb88";

    [Fact]
    public void RoleAssignmentsAreNamedByScopePrincipalAndRole()
    {
        var assignments = infra.Template.ResourcesOfType("Microsoft.Authorization/roleAssignments");
        Assert.NotEmpty(assignments);
        foreach (var (template, assignment) in assignments)
        {
            var roleReference = RoleReference().Match(assignment.Text("properties", "roleDefinitionId"));
            Assert.True(roleReference.Success, assignment.Raw());
            Assert.Matches("^[0-9a-f-]{36}$", template.Variables.Text("roles", roleReference.Groups["key"].Value));
            var scope = assignment.Text("scope");

            Assert.Equal($"[guid({scope[1..^1]}, parameters('principalId'), variables('roles').{roleReference.Groups["key"].Value})]", assignment.Text("name"));
            Assert.Equal("[parameters('principalId')]", assignment.Text("properties", "principalId"));
            Assert.Equal("ServicePrincipal", assignment.Text("properties", "principalType"));
        }
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
        Assert.All(infra.Template.Variables.At("names").AsObject().Where(name => !name.Key.StartsWith("deployment", StringComparison.Ordinal)),
            name => Assert.Contains("variables('resourceToken')", name.Value!.GetValue<string>(), StringComparison.Ordinal));

        var outputs = infra.ValidSnapshot.Outputs;
        var token = outputs.Text("AZURE_STORAGE_ACCOUNT_NAME")[2..];
        Assert.Matches("^[a-z0-9]{13}$", token);
        Assert.Equal($"func-{token}", outputs.Text("AZURE_FUNCTION_APP_NAME"));
        Assert.Equal($"kv-{token}", outputs.Text("AZURE_KEY_VAULT_NAME"));
    }

    /// <summary>The role assignments of the default deployment: role id and scope (relative to the resource group).</summary>
    private List<(string Role, string Scope)> RoleAssignments()
    {
        Assert.True(infra.ValidSnapshot.Succeeded, infra.ValidSnapshot.Run.ToString());
        var group = $"/subscriptions/{InfraFixture.SubscriptionId}/resourceGroups/{InfraFixture.ResourceGroup}";
        return infra.ValidSnapshot.Resources("Microsoft.Authorization/roleAssignments")
            .Select(assignment =>
            {
                var id = ArmPatterns.RoleAssignmentId().Match(assignment.Text("id"));
                Assert.True(id.Success, assignment.Text("id"));
                Assert.Equal(id.Groups["scope"].Value, id.Groups["nameScope"].Value);
                Assert.StartsWith(group, id.Groups["scope"].Value, StringComparison.Ordinal);
                return (id.Groups["role"].Value, id.Groups["scope"].Value[group.Length..]);
            })
            .ToList();
    }

    private string[] RoleAssignmentScopes(string role) =>
        [.. RoleAssignments().Where(assignment => assignment.Role == role).Select(assignment => assignment.Scope)];

    [GeneratedRegex(@"'(?<child>[a-z]+)'\)\]$")]
    private static partial Regex ChildName();

    [GeneratedRegex(@"variables\('roles'\)\.(?<key>\w+)\)\]$")]
    private static partial Regex RoleReference();

    [GeneratedRegex(@"listKeys|listSecrets|listCredentials|AccountKey|InstrumentationKey|properties\.ConnectionString|\.value\.keys", RegexOptions.IgnoreCase)]
    private static partial Regex SecretLooking();
}
