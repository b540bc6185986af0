using System.Text.Json.Nodes;
using Serverless.Infra.Tests.Infrastructure;

namespace Serverless.Infra.Tests;

/// <summary>
/// Issue 14 in Azure: the mail queue and its poison queue with the identity's queue role on each of them,
/// the MailTokens table, the queue trigger's identity-based connection, the SMTP settings with the password
/// in Key Vault, and the refusals (UseTls None, a link base outside the allowed origins).
/// </summary>
public sealed class EmailInfraTests(InfraFixture infra)
{
    private const string StorageTableDataContributor = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3";
    internal const string KeyVaultSecretsUser = "4633458b-17de-408a-b874-0445c86b69e6";

    private static readonly string ResourceGroupId = $"/subscriptions/{InfraFixture.SubscriptionId}/resourceGroups/{InfraFixture.ResourceGroup}";

    [Fact]
    public void MailQueueAndItsPoisonQueueAreCreatedInTheAppStorageAccount()
    {
        var storage = infra.ValidSnapshot.Outputs.Text("AZURE_STORAGE_ACCOUNT_NAME");
        Assert.Equal([$"{storage}/default/auth-email", $"{storage}/default/auth-email-poison"],
            infra.ValidSnapshot.Resources("Microsoft.Storage/storageAccounts/queueServices/queues").Select(queue => queue.Text("name")));

        var parameter = infra.Template.Parameters.At("emailQueueName");
        Assert.Equal("auth-email", parameter.Text("defaultValue"));
        Assert.Equal(3, parameter.At("minLength").GetValue<int>());
        Assert.Equal(56, parameter.At("maxLength").GetValue<int>()); // + "-poison" = 63, the longest queue name
        Assert.Equal(["[parameters('emailQueueName')]", "[format('{0}-poison', parameters('emailQueueName'))]"], infra.Template.Variables.At("queueNames").AsArray().Select(name => name!.GetValue<string>()));
    }

    [Fact]
    public void IdentityHoldsStorageQueueDataContributorOnEachMailQueueAndNotOnTheAccount()
    {
        var storage = $"/providers/Microsoft.Storage/storageAccounts/{infra.ValidSnapshot.Outputs.Text("AZURE_STORAGE_ACCOUNT_NAME")}";

        Assert.Equal([$"{storage}/queueServices/default/queues/auth-email", $"{storage}/queueServices/default/queues/auth-email-poison"],
            Scopes(infra.ValidSnapshot, TemplateSecurityTests.StorageQueueDataContributor));
        var (rbac, _) = infra.Template.ResourcesOfType("Microsoft.Authorization/roleAssignments")[0];
        Assert.Equal(TemplateSecurityTests.StorageQueueDataContributor, rbac.Variables.Text("roles", "storageQueueDataContributor"));
    }

    [Fact]
    public async Task AnotherQueueNameRenamesBothQueuesTheirRolesAndTheSettings()
    {
        var snapshot = await infra.SnapshotAsync(InfraFixture.RequiredParameters + "param emailQueueName = 'mail-out'\n", null);

        Assert.True(snapshot.Succeeded, snapshot.Run.ToString());
        var storage = $"/providers/Microsoft.Storage/storageAccounts/{snapshot.Outputs.Text("AZURE_STORAGE_ACCOUNT_NAME")}";
        Assert.Equal([$"{storage}/queueServices/default/queues/mail-out", $"{storage}/queueServices/default/queues/mail-out-poison"],
            Scopes(snapshot, TemplateSecurityTests.StorageQueueDataContributor));
        Assert.Equal("mail-out", snapshot.One("Microsoft.Web/sites").AppSettings()["AUTH_EMAIL_QUEUE"]);

        // The parameters file reads the variable of the same name as the app setting.
        var fromEnvironment = await infra.SnapshotAsync(InfraFixture.ValidEnvironmentWith("AUTH_EMAIL_QUEUE", "mail-out"));
        Assert.True(fromEnvironment.Succeeded, fromEnvironment.Run.ToString());
        Assert.Equal("mail-out", fromEnvironment.One("Microsoft.Web/sites").AppSettings()["AUTH_EMAIL_QUEUE"]);
    }

    [Fact]
    public void MailTokensTableIsCreatedAndCoveredByTheTableRole()
    {
        var parameter = infra.Template.Parameters.At("mailTokensTableName");
        Assert.Equal("MailTokens", parameter.Text("defaultValue"));
        Assert.Equal(3, parameter.At("minLength").GetValue<int>());
        Assert.Equal(63, parameter.At("maxLength").GetValue<int>());
        Assert.Equal("[parameters('mailTokensTableName')]", Site.AppSettings()["Auth__Storage__MailTokensTable"]);

        var storage = $"/providers/Microsoft.Storage/storageAccounts/{infra.ValidSnapshot.Outputs.Text("AZURE_STORAGE_ACCOUNT_NAME")}";
        // Issues 17 and 23: the table role is on the account (the app creates its revocation change-log tables), so it covers MailTokens.
        Assert.Equal([storage], Scopes(infra.ValidSnapshot, StorageTableDataContributor));
        Assert.Equal("MailTokens", infra.ValidSnapshot.One("Microsoft.Web/sites").AppSettings()["Auth__Storage__MailTokensTable"]);
    }

    /// <summary>
    /// The API enqueues through Auth__Storage__QueueServiceUri; the queue trigger (Connection = "AuthQueue")
    /// reads through the identity-based connection AuthQueue__*: the same endpoint, the same identity.
    /// </summary>
    [Fact]
    public void QueueSettingsPointAtTheAccountsQueueEndpointThroughTheUserAssignedIdentity()
    {
        var settings = Site.AppSettings();
        const string QueueEndpoint = "[format('https://{0}.queue.{1}', parameters('storageAccountName'), environment().suffixes.storage)]";
        Assert.Equal(QueueEndpoint, ResolveQueueEndpoint(settings["Auth__Storage__QueueServiceUri"]));
        Assert.Equal(QueueEndpoint, ResolveQueueEndpoint(settings["AuthQueue__queueServiceUri"]));
        Assert.Equal("[parameters('emailQueueName')]", settings["AUTH_EMAIL_QUEUE"]);
        Assert.DoesNotContain("Auth__Storage__EmailQueue", settings.Keys);
        Assert.Equal("managedidentity", settings["AuthQueue__credential"]);
        Assert.Equal("[parameters('identityClientId')]", settings["AuthQueue__clientId"]);
        Assert.DoesNotContain(settings.Keys, key => key.StartsWith("AuthQueue", StringComparison.Ordinal) && key is not ("AuthQueue__queueServiceUri" or "AuthQueue__credential" or "AuthQueue__clientId"));

        var evaluated = infra.ValidSnapshot.One("Microsoft.Web/sites").AppSettings();
        Assert.Matches(@"^\[format\('https://\{0\}\.queue\.\{1\}', 'st[a-z0-9]{13}', environment\(\)\.suffixes\.storage\)\]$", evaluated["Auth__Storage__QueueServiceUri"]);
        Assert.Equal(evaluated["Auth__Storage__QueueServiceUri"], evaluated["AuthQueue__queueServiceUri"]);
        Assert.Contains($"'{infra.ValidSnapshot.Outputs.Text("AZURE_STORAGE_ACCOUNT_NAME")}'", evaluated["AuthQueue__queueServiceUri"], StringComparison.Ordinal);
        Assert.Equal("auth-email", evaluated["AUTH_EMAIL_QUEUE"]);
        Assert.Equal(evaluated["AzureWebJobsStorage__clientId"], evaluated["AuthQueue__clientId"]);
        Assert.Equal(evaluated["Auth__Storage__ManagedIdentityClientId"], evaluated["AuthQueue__clientId"]);
    }

    [Fact]
    public void EmailSettingsDefaultToAzureCommunicationServicesSmtpAndTheAppDefaults()
    {
        var settings = infra.ValidSnapshot.One("Microsoft.Web/sites").AppSettings();

        Assert.Equal("smtp.azurecomm.net", settings["Auth__Email__SmtpHost"]);
        Assert.Equal("587", settings["Auth__Email__SmtpPort"]);
        Assert.Equal("StartTls", settings["Auth__Email__UseTls"]);
        Assert.Equal("", settings["Auth__Email__SmtpUser"]);
        Assert.Equal("", settings["Auth__Email__SmtpPassword"]); // no user: no password, no reference
        Assert.Equal(InfraFixture.TestEmailFrom, settings["Auth__Email__From"]);
        Assert.Equal("Serverless Auth", settings["Auth__Email__ProductName"]);
        Assert.Equal("https://app.example.com/auth", settings["Auth__Email__LinkBaseUrl"]);
        Assert.Equal("false", settings["Auth__Email__RequireConfirmed"]);
        Assert.Equal("1440", settings["Auth__Email__ConfirmTokenMinutes"]);
        Assert.Equal("30", settings["Auth__Email__ResetTokenMinutes"]);
        Assert.Equal("5", settings["Auth__Email__MaxPerAddressPerHour"]);
        Assert.Equal("20", settings["Auth__Email__MaxPerAddressPerDay"]);

        AssertInt("smtpPort", 587, 1, 65535);
        AssertInt("emailConfirmTokenMinutes", 1440, 5, 10080);
        AssertInt("emailResetTokenMinutes", 30, 5, 1440);
        AssertInt("emailMaxPerAddressPerHour", 5, 1, 1000);
        AssertInt("emailMaxPerAddressPerDay", 20, 1, 1000);
        Assert.False(infra.Template.Parameters.At("emailRequireConfirmed", "defaultValue").GetValue<bool>());
        foreach (var required in new[] { "smtpHost", "emailFrom", "emailLinkBaseUrl" })
        {
            Assert.Null(infra.Template.Parameters.At(required)["defaultValue"]);
        }
    }

    [Fact]
    public async Task EmailSettingsFollowTheParametersFileVariables()
    {
        var environment = new Dictionary<string, string>(InfraFixture.ValidEnvironment)
        {
            ["AUTH_SMTP_HOST"] = "smtp.example.net",
            ["AUTH_SMTP_PORT"] = "465",
            ["AUTH_SMTP_TLS"] = "SslOnConnect",
            ["AUTH_SMTP_USER"] = "mailer@example.net",
            ["AUTH_EMAIL_PRODUCT_NAME"] = "Acme",
            ["AUTH_EMAIL_REQUIRE_CONFIRMED"] = "true",
            ["AUTH_EMAIL_LINK_BASE_URL"] = "https://app.example.com",
        };
        var snapshot = await infra.SnapshotAsync(environment);

        Assert.True(snapshot.Succeeded, snapshot.Run.ToString());
        var settings = snapshot.One("Microsoft.Web/sites").AppSettings();
        Assert.Equal("smtp.example.net", settings["Auth__Email__SmtpHost"]);
        Assert.Equal("465", settings["Auth__Email__SmtpPort"]);
        Assert.Equal("SslOnConnect", settings["Auth__Email__UseTls"]);
        Assert.Equal("mailer@example.net", settings["Auth__Email__SmtpUser"]);
        Assert.Equal("Acme", settings["Auth__Email__ProductName"]);
        Assert.Equal("true", settings["Auth__Email__RequireConfirmed"]);
        Assert.Equal("https://app.example.com", settings["Auth__Email__LinkBaseUrl"]);
    }

    /// <summary>
    /// The password is one more entry of main's secret list: a secure parameter, written to Key Vault only
    /// when given (empty keeps the version there), granted and referenced (versionless) only when an SMTP
    /// user name says the relay authenticates, so the app never points at a secret nobody wrote.
    /// </summary>
    [Fact]
    public async Task SmtpPasswordIsAKeyVaultSecretGrantedAndReferencedOnlyWithAnSmtpUser()
    {
        var password = infra.Template.Parameters.At("smtpPassword");
        Assert.Equal("securestring", password.Text("type"));
        Assert.Equal("", password.Text("defaultValue"));
        var secret = infra.Template.Variables.At("keyVaultSecrets").AsArray().Select(entry => entry!.AsObject()).Single(entry => entry.Text("name") == "smtp-password");
        Assert.Equal("Auth__Email__SmtpPassword", secret.Text("appSetting"));
        Assert.Equal("[__bicep.checkedSmtpPassword(parameters('smtpPassword'), parameters('smtpUser'), parameters('smtpPasswordInKeyVault'))]", secret.Text("value"));
        Assert.Equal("[not(empty(parameters('smtpUser')))]", secret.Text("used"));
        Assert.Contains("readEnvironmentVariable('AUTH_SMTP_PASSWORD', '')", File.ReadAllText(Serverless.Testing.RepoPaths.Combine("infra", "main.bicepparam")), StringComparison.Ordinal);

        // No user (the default environment): nothing written, granted or referenced.
        Assert.DoesNotContain("smtp-password", SecretNames(infra.ValidSnapshot));
        Assert.DoesNotContain(Scopes(infra.ValidSnapshot, KeyVaultSecretsUser), scope => scope.EndsWith("/secrets/smtp-password", StringComparison.Ordinal));

        const string Value = "client-secret-only-for-infra-tests";
        var environment = new Dictionary<string, string>(InfraFixture.ValidEnvironment) { ["AUTH_SMTP_USER"] = "auth-mailer", ["AUTH_SMTP_PASSWORD"] = Value };
        var snapshot = await infra.SnapshotAsync(environment);

        Assert.True(snapshot.Succeeded, snapshot.Run.ToString());
        var written = snapshot.Resources("Microsoft.KeyVault/vaults/secrets").Single(found => found.Text("name").EndsWith("/smtp-password", StringComparison.Ordinal));
        // Secure values stay unevaluated in a snapshot: the deployment evaluates this condition (write only a non-empty value).
        Assert.Equal("[not(empty(coalesce(tryGet(parameters('secretValues'), 'smtp-password'), '')))]", written.Text("condition"));
        var vault = snapshot.Outputs.Text("AZURE_KEY_VAULT_NAME");
        Assert.Contains($"/providers/Microsoft.KeyVault/vaults/{vault}/secrets/smtp-password", Scopes(snapshot, KeyVaultSecretsUser));
        var site = snapshot.One("Microsoft.Web/sites");
        var reference = ArmPatterns.KeyVaultReference().Match(site.AppSettings()["Auth__Email__SmtpPassword"]);
        Assert.True(reference.Success, site.AppSettings()["Auth__Email__SmtpPassword"]);
        Assert.Equal((vault, "smtp-password"), (reference.Groups["vault"].Value, reference.Groups["secret"].Value));
        Assert.Equal("auth-mailer", site.AppSettings()["Auth__Email__SmtpUser"]);
        Assert.DoesNotContain(Value, site.Raw(), StringComparison.Ordinal);
        Assert.DoesNotContain(Value, snapshot.Outputs.Raw(), StringComparison.Ordinal);
    }

    /// <summary>
    /// An empty password keeps the version in Key Vault, so it cannot tell a redeploy from a first deployment:
    /// with a user name, a deployment needs the password or smtpPasswordInKeyVault, or it would grant and
    /// reference a secret nobody wrote (ARM then fails on the role assignment with an unhelpful error).
    /// </summary>
    [Theory]
    [InlineData("", "", false, null)]
    [InlineData("client-secret-value", "auth-mailer", false, null)]
    [InlineData("client-secret-value", "auth-mailer", true, null)]
    [InlineData("", "auth-mailer", true, null)]
    [InlineData("", "auth-mailer", false, "smtpUser is set but smtpPassword is empty: give the password (AUTH_SMTP_PASSWORD; it is stored as the Key Vault secret smtp-password), or set smtpPasswordInKeyVault (AUTH_SMTP_PASSWORD_IN_KEY_VAULT=true) when that secret already holds it.")]
    [InlineData("client-secret-value", "", false, "smtpPassword is set but smtpUser is empty")]
    public async Task AnSmtpUserNeedsThePasswordOrTheFlagThatKeyVaultHoldsIt(string password, string user, bool inKeyVault, string? refusal)
    {
        // Secure values stay unevaluated in a snapshot: probe the function the deployment evaluates (main.bicep's use of it is checked above).
        var snapshot = await infra.SnapshotAsync(
            $"using '{{name}}.bicep'\nparam password = '{password}'\nparam user = '{user}'\nparam inKeyVault = {(inKeyVault ? "true" : "false")}\n",
            null,
            new Dictionary<string, string>
            {
                ["{name}.bicep"] = "import { checkedSmtpPassword } from 'app/secrets.bicep'\nparam password string\nparam user string\nparam inKeyVault bool\noutput checked string = checkedSmtpPassword(password, user, inKeyVault)\n",
            });

        Assert.True(snapshot.Succeeded == refusal is null, snapshot.Run.ToString());
        if (refusal is null)
        {
            Assert.Equal(password, snapshot.Outputs.Text("checked"));
        }
        else
        {
            var output = snapshot.Run.StandardError + snapshot.Run.StandardOutput;
            Assert.Contains(refusal, output, StringComparison.Ordinal);
            Assert.True(password.Length == 0 || !output.Contains(password, StringComparison.Ordinal), "the message names the password");
        }
    }

    /// <summary>A later provision with the flag and no password: the secret in Key Vault is granted and referenced, nothing is written over it.</summary>
    [Fact]
    public async Task TheFlagComesFromTheParametersFileAndKeepsTheSecretReferenced()
    {
        var environment = new Dictionary<string, string>(InfraFixture.ValidEnvironment) { ["AUTH_SMTP_USER"] = "auth-mailer", ["AUTH_SMTP_PASSWORD_IN_KEY_VAULT"] = "true" };
        var snapshot = await infra.SnapshotAsync(environment);

        Assert.True(snapshot.Succeeded, snapshot.Run.ToString());
        Assert.False(infra.Template.Parameters.At("smtpPasswordInKeyVault", "defaultValue").GetValue<bool>());
        Assert.Contains($"/providers/Microsoft.KeyVault/vaults/{snapshot.Outputs.Text("AZURE_KEY_VAULT_NAME")}/secrets/smtp-password", Scopes(snapshot, KeyVaultSecretsUser));
        Assert.Matches(ArmPatterns.KeyVaultReference(), snapshot.One("Microsoft.Web/sites").AppSettings()["Auth__Email__SmtpPassword"]);
        var written = snapshot.Resources("Microsoft.KeyVault/vaults/secrets").Single(found => found.Text("name").EndsWith("/smtp-password", StringComparison.Ordinal));
        Assert.Equal("[not(empty(coalesce(tryGet(parameters('secretValues'), 'smtp-password'), '')))]", written.Text("condition"));
    }

    /// <summary>The app refuses UseTls=None in Azure (links and the password in plain text), so the template cannot even ask for it.</summary>
    [Fact]
    public async Task UseTlsCannotBeNone()
    {
        Assert.Equal(["StartTls", "SslOnConnect"], AllowedValues(infra.Template.Parameters.At("smtpTls")));
        Assert.Equal("StartTls", infra.Template.Parameters.Text("smtpTls", "defaultValue"));
        var (functionApp, site) = infra.Template.One("Microsoft.Web/sites");
        Assert.Equal(["StartTls", "SslOnConnect"], AllowedValues(functionApp.Parameters.At("smtpTls")));
        Assert.Equal("[parameters('smtpTls')]", site.AppSettings()["Auth__Email__UseTls"]);

        var run = await infra.BuildParamsAsync(InfraFixture.RequiredParameters + "param smtpTls = 'None'\n");
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("'SslOnConnect' | 'StartTls'", run.StandardError + run.StandardOutput, StringComparison.Ordinal);

        var fromEnvironment = await Bicep.RunAsync(Serverless.Testing.RepoPaths.Root, InfraFixture.ValidEnvironmentWith("AUTH_SMTP_TLS", "None"), "build-params", "infra/main.bicepparam", "--stdout");
        Assert.NotEqual(0, fromEnvironment.ExitCode);
        Assert.Contains("'SslOnConnect' | 'StartTls'", fromEnvironment.StandardError, StringComparison.Ordinal);
    }

    /// <summary>Mails carry sign-in tokens to the link base, so it must lie on an allowed origin (here https://app.example.com and http://localhost:5173).</summary>
    [Theory]
    [InlineData("https://app.example.com/auth", true)]
    [InlineData("http://localhost:5173/auth", true)]
    [InlineData("https://evil.example.com/auth", false)]
    [InlineData("https://app.example.com.evil.net/auth", false)]
    [InlineData("http://app.example.com/auth", false)]
    [InlineData("https://APP.example.com/auth", false)]
    [InlineData("https://app.example.com/auth?next=1", false)]
    [InlineData("https://app.example.com/auth#confirm", false)]
    public async Task LinkBaseUrlMustLieOnAnAllowedOrigin(string linkBaseUrl, bool accepted)
    {
        var snapshot = await infra.SnapshotAsync(InfraFixture.ValidEnvironmentWith("AUTH_EMAIL_LINK_BASE_URL", linkBaseUrl));

        Assert.True(snapshot.Succeeded == accepted, snapshot.Run.ToString());
        if (accepted)
        {
            Assert.Equal(linkBaseUrl, snapshot.One("Microsoft.Web/sites").AppSettings()["Auth__Email__LinkBaseUrl"]);
        }
        else
        {
            Assert.Contains($"emailLinkBaseUrl ({linkBaseUrl}) must be one of allowedOrigins", snapshot.Run.StandardError + snapshot.Run.StandardOutput, StringComparison.Ordinal);
        }
    }

    private JsonObject Site => infra.Template.One("Microsoft.Web/sites").Resource;

    /// <summary>The Function App module builds the queue endpoint once (a variable); both settings use it.</summary>
    private string ResolveQueueEndpoint(string expression)
    {
        var (functionApp, _) = infra.Template.One("Microsoft.Web/sites");
        Assert.Equal("[variables('queueServiceUri')]", expression);
        return functionApp.Variables.Text("queueServiceUri");
    }

    private void AssertInt(string name, int defaultValue, int minValue, int maxValue)
    {
        var parameter = infra.Template.Parameters.At(name);
        Assert.Equal((defaultValue, minValue, maxValue), (parameter.At("defaultValue").GetValue<int>(), parameter.At("minValue").GetValue<int>(), parameter.At("maxValue").GetValue<int>()));
    }

    private static string[] AllowedValues(JsonNode parameter) => [.. parameter.At("allowedValues").AsArray().Select(value => value!.GetValue<string>())];

    internal static IEnumerable<string> SecretNames(Snapshot snapshot) =>
        snapshot.Resources("Microsoft.KeyVault/vaults/secrets").Select(found => found.Text("name").Split('/')[^1]);

    /// <summary>Scopes (relative to the resource group) of the snapshot's role assignments of one role, in order.</summary>
    internal static List<string> Scopes(Snapshot snapshot, string role)
    {
        Assert.True(snapshot.Succeeded, snapshot.Run.ToString());
        return [.. snapshot.Resources("Microsoft.Authorization/roleAssignments")
            .Select(assignment => ArmPatterns.RoleAssignmentId().Match(assignment.Text("id")))
            .Where(id => id.Success && id.Groups["role"].Value == role)
            .Select(id => id.Groups["scope"].Value[ResourceGroupId.Length..])
            .Order(StringComparer.Ordinal)];
    }
}
