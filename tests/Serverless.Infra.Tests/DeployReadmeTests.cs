using System.Text.RegularExpressions;
using Serverless.Infra.Tests.Infrastructure;
using Serverless.Testing;

namespace Serverless.Infra.Tests;

/// <summary>docs/deploy-azure.md ("Deploy to Azure", once a README section) says what the template and the tools really do.</summary>
public sealed partial class DeployReadmeTests(InfraFixture infra)
{
    private static readonly Lazy<string> Section = new(() =>
    {
        var path = RepoPaths.Combine("docs", "deploy-azure.md");
        Assert.True(File.Exists(path), "docs/deploy-azure.md is missing.");
        var document = File.ReadAllText(path);
        Assert.StartsWith("# Deploy to Azure\n", document, StringComparison.Ordinal);
        return document;
    });

    private static IEnumerable<string> ShellLines =>
        ShellBlock().Matches(Section.Value).SelectMany(block => block.Groups["body"].Value.Split('\n')).Select(line => line.Trim());

    /// <summary>
    /// Issue 11, defect 5: on a fresh clone there is no local.settings.json, so Core Tools must be told the
    /// worker runtime (src/Cli/func/Helpers/GlobalCoreToolsSettings.cs in Azure/azure-functions-core-tools).
    /// </summary>
    [Fact]
    public void PublishCommandNamesTheWorkerRuntimeAndRunsInTheFunctionsProject()
    {
        var publish = ShellLines.Where(line => line.Contains("func azure functionapp publish", StringComparison.Ordinal)).ToList();

        Assert.NotEmpty(publish);
        Assert.All(publish, line =>
        {
            Assert.Contains("--dotnet-isolated", line, StringComparison.Ordinal);
            Assert.Contains("cd functions/Serverless.Functions &&", line, StringComparison.Ordinal);
        });
        Assert.True(File.Exists(RepoPaths.Combine("functions", "Serverless.Functions", "Serverless.Functions.csproj")));
    }

    /// <summary>Issue 11, defect 6 and the variable renames: the document sets exactly what main.bicepparam reads.</summary>
    [Fact]
    public void EveryVariableTheSectionSetsIsOneTheParametersFileReads()
    {
        var read = ReadVariable().Matches(File.ReadAllText(RepoPaths.Combine("infra", "main.bicepparam")))
            .Select(match => match.Groups["name"].Value).ToHashSet();
        var set = ShellLines.SelectMany(line => SetVariable().Matches(line)).Select(match => match.Groups["name"].Value).ToHashSet();

        Assert.Equal([], set.Except(read).Order());
        Assert.Equal([], read.Where(name => !Section.Value.Contains(name, StringComparison.Ordinal)).Order());
        Assert.DoesNotContain("AZURE_LOCATION", read);
    }

    /// <summary>Issue 11, defect 4: the one documented way to make the platform resolve Key Vault references again.</summary>
    [Fact]
    public void SectionGivesTheCommandThatResolvesKeyVaultReferencesAgain()
    {
        Assert.Contains("/config/configreferences/appsettings/refresh?api-version=2022-03-01", Section.Value, StringComparison.Ordinal);
        Assert.Contains("az rest --method post --url \"https://management.azure.com$(az functionapp show -g \"$rg\" -n \"$app\" --query id -o tsv)/config/configreferences/appsettings/refresh", Section.Value, StringComparison.Ordinal);
        Assert.Contains("@Microsoft.KeyVault(", Section.Value, StringComparison.Ordinal);

        // The app waits for its roles; the reference it may still fail to resolve is the one documented.
        var functionApp = infra.Template.Json.At("resources", "functionApp");
        Assert.Contains("rbac", functionApp.At("dependsOn").AsArray().Select(node => node!.GetValue<string>()));
        var unresolved = Section.Value[Section.Value.IndexOf("**If the app stops at start-up with an unresolved Key Vault reference**", StringComparison.Ordinal)..];
        unresolved = unresolved[..unresolved.IndexOf("```", StringComparison.Ordinal)];
        Assert.Contains("still starts with `@Microsoft.KeyVault(`", unresolved, StringComparison.Ordinal);
        Assert.All(Secrets, secret => Assert.Contains($"`{secret.Text("appSetting")}`", unresolved, StringComparison.Ordinal));
    }

    /// <summary>
    /// Issue 11, defect 3: rotation goes through the secret the app already reads (no new secret, no app
    /// setting change), and a provision without the variable keeps what Key Vault holds.
    /// </summary>
    [Fact]
    public void KeyRotationStepsWriteANewVersionOfTheSecretTheAppReads()
    {
        var rotation = Section.Value[Section.Value.IndexOf("\n## Key rotation in Azure\n", StringComparison.Ordinal)..];
        rotation = rotation[..rotation.IndexOf("\n## Tearing down", StringComparison.Ordinal)];

        Assert.All(Secrets, secret =>
        {
            Assert.Contains($"Key Vault secret `{secret.Text("name")}`", rotation, StringComparison.Ordinal);
            Assert.Contains($"`{secret.Text("appSetting")}`", rotation, StringComparison.Ordinal);
        });
        Assert.All(new[] { "AUTH_JWT_SIGNING_KEYS", "AUTH_SERVER_KEY" }, variable =>
        {
            Assert.Contains($"old=$(azd env get-value {variable})", rotation, StringComparison.Ordinal);
            Assert.Contains($"azd env set {variable} \"k$(date +%Y%m%d%H%M):$(openssl rand -base64 32);$old\"", rotation, StringComparison.Ordinal);
        });
        Assert.DoesNotContain("new Key Vault secret", Section.Value, StringComparison.Ordinal);
        Assert.DoesNotContain("az functionapp config appsettings set", Section.Value, StringComparison.Ordinal);
    }

    /// <summary>
    /// Issue 12: the app does not start without its server key, so the first deployment (azd and az CLI
    /// alike) makes one with its own openssl run, and the parameter table documents it and the lifetime in seconds.
    /// </summary>
    [Fact]
    public void FirstDeploymentCommandsMakeTheServerKeyAndTheTableDocumentsIt()
    {
        var lines = ShellLines.ToList();
        Assert.Contains("azd env set AUTH_SERVER_KEY \"$(openssl rand -base64 32)\"", lines.Select(line => line.Split('#')[0].TrimEnd()));
        Assert.Contains(lines, line => line.StartsWith("export ", StringComparison.Ordinal)
            && line.Contains("AUTH_JWT_SIGNING_KEYS_PEM=\"$(openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256)\"", StringComparison.Ordinal)
            && line.Contains("AUTH_SERVER_KEY=\"$(openssl rand -base64 32)\"", StringComparison.Ordinal));

        Assert.Contains("| `serverKey` (`AUTH_SERVER_KEY`) | empty (secure) |", Section.Value, StringComparison.Ordinal);
        Assert.Contains("Key Vault secret `server-key`", Section.Value, StringComparison.Ordinal);
        Assert.Contains("| `jwtLifetimeSeconds` | `900` |", Section.Value, StringComparison.Ordinal);
        Assert.Contains("| `sessionIdleMinutes` / `sessionAbsoluteMinutes` | `20160` / `43200` |", Section.Value, StringComparison.Ordinal);
        Assert.DoesNotContain("LifetimeMinutes", Section.Value, StringComparison.Ordinal);
        Assert.All(infra.Template.Parameters.Select(parameter => parameter.Key),
            parameter => Assert.Contains($"`{parameter}`", Section.Value, StringComparison.Ordinal));
    }

    private IEnumerable<System.Text.Json.Nodes.JsonNode> Secrets =>
        infra.Template.Variables.At("keyVaultSecrets").AsArray().Select(secret => secret!);

    /// <summary>Issue 11, defect 2: the lifecycle after `azd down` uses the template's recover and salt switches.</summary>
    [Fact]
    public void SectionDocumentsReprovisioningAfterAzdDown()
    {
        Assert.Contains("azd env set AZURE_KEY_VAULT_CREATE_MODE recover", Section.Value, StringComparison.Ordinal);
        Assert.Contains("azd env set AZURE_KEY_VAULT_CREATE_MODE default", Section.Value, StringComparison.Ordinal);
        Assert.Contains("azd env set AZURE_KEY_VAULT_NAME_SALT", Section.Value, StringComparison.Ordinal);
        Assert.Contains("VaultAlreadyExists", Section.Value, StringComparison.Ordinal);
        Assert.Contains($"({infra.Template.Parameters.At("keyVaultSoftDeleteRetentionInDays", "defaultValue").GetValue<int>()} days by default", Section.Value, StringComparison.Ordinal);
    }

    /// <summary>
    /// Issue 14: "Email in Azure" names the relay settings, where the password goes, the two queues with
    /// their role, what to do with poison messages, and the queue trigger's identity connection exactly as
    /// the template sets it.
    /// </summary>
    [Fact]
    public void EmailInAzureDocumentsTheRelayThePasswordTheQueuesAndTheTriggerConnection()
    {
        var start = Section.Value.IndexOf("\n## Email in Azure\n", StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/deploy-azure.md has no '## Email in Azure' section.");
        var email = Section.Value[start..];

        Assert.All(new[] { "smtp.azurecomm.net", "`587`", "`StartTls`", "SMTP Username", "client secret", "Communication and Email Service Owner",
            "Key Vault secret", "`smtp-password`", "`Auth__Email__SmtpPassword`", "`auth-email`", "`auth-email-poison`",
            "Storage Queue Data Contributor", "maxDequeueCount", "az storage message clear --queue-name auth-email-poison" },
            text => Assert.Contains(text, email, StringComparison.Ordinal));

        var settings = infra.Template.One("Microsoft.Web/sites").Resource.AppSettings();
        var connection = settings.Keys.Where(name => name.StartsWith("AuthQueue__", StringComparison.Ordinal)).Order().ToList();
        Assert.Equal(["AuthQueue__clientId", "AuthQueue__credential", "AuthQueue__queueServiceUri"], connection);
        Assert.All(connection.Append("Auth__Storage__QueueServiceUri").Append("AUTH_EMAIL_QUEUE"),
            name => Assert.Contains($"| `{name}` |", email, StringComparison.Ordinal));
        Assert.Contains($"| `AuthQueue__credential` | `{settings["AuthQueue__credential"]}` |", email, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"```sh\n(?<body>.*?)```", RegexOptions.Singleline)]
    private static partial Regex ShellBlock();

    [GeneratedRegex(@"readEnvironmentVariable\('(?<name>[A-Z_]+)'")]
    private static partial Regex ReadVariable();

    /// <summary>`azd env set NAME`, `export NAME=` and `NAME=` after export.</summary>
    [GeneratedRegex(@"(?:azd env set |export |\s)(?<name>(?:AUTH|AZURE)_[A-Z_]+)(?:=| )")]
    private static partial Regex SetVariable();
}
