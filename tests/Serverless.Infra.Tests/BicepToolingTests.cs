using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Serverless.Infra.Tests.Infrastructure;
using Serverless.Testing;

namespace Serverless.Infra.Tests;

/// <summary>The Bicep CLI from NuGet builds and lints the templates with zero warnings.</summary>
public sealed partial class BicepToolingTests(InfraFixture infra)
{
    [Fact]
    public void MainBicepBuildsWithoutAnyDiagnostic()
    {
        Assert.True(infra.Build.ExitCode == 0, infra.Build.ToString());
        Assert.True(infra.Build.Diagnostics(includeStandardOutput: false).Count == 0, infra.Build.ToString());
        Assert.Equal("2.0", infra.Template.Json.Text("languageVersion"));
    }

    [Fact]
    public void MainBicepLintsWithoutAnyWarning()
    {
        Assert.True(infra.Lint.ExitCode == 0, infra.Lint.ToString());
        Assert.True(infra.Lint.Diagnostics(includeStandardOutput: true).Count == 0, infra.Lint.ToString());
    }

    [Fact]
    public void EveryBicepFileUnderInfraLintsWithoutAnyWarning()
    {
        var files = Directory.GetFiles(RepoPaths.Combine("infra"), "*.bicep", SearchOption.AllDirectories);
        Assert.True(files.Length >= 7, $"Expected main.bicep and its modules, found: {string.Join(", ", files)}");

        var lint = infra.Lint;

        Assert.True(lint.ExitCode == 0, lint.ToString());
        Assert.True(lint.Diagnostics(includeStandardOutput: true).Count == 0, lint.ToString());
    }

    [Fact]
    public async Task ParametersFileBuildsFromTheEnvironment()
    {
        var run = await Bicep.RunAsync(RepoPaths.Root, InfraFixture.ValidEnvironment, "build-params", "infra/main.bicepparam", "--stdout");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(run.Diagnostics(includeStandardOutput: false).Count == 0, run.ToString());
        var parameters = JsonNode.Parse(JsonNode.Parse(run.StandardOutput)!.Text("parametersJson"))!.At("parameters");
        Assert.Equal(["https://app.example.com", "http://localhost:5173"], parameters.At("allowedOrigins", "value").AsArray().Select(origin => origin!.GetValue<string>()));
        Assert.Equal("infra-tests", parameters.Text("environmentName", "value"));
        Assert.Equal(InfraFixture.TestSigningKey, parameters.Text("jwtSigningKeys", "value"));
        Assert.Equal(InfraFixture.TestServerKey, parameters.Text("serverKey", "value"));
        Assert.Equal("None", parameters.Text("cookieSameSite", "value"));
        Assert.Equal("", parameters.Text("jwtIssuer", "value"));
        Assert.Equal("default", parameters.Text("keyVaultCreateMode", "value"));
        Assert.Equal("", parameters.Text("keyVaultNameSalt", "value"));
        // Passkeys stay off, and an unset origins variable is no list with one empty origin.
        Assert.Equal("", parameters.Text("passkeyRpId", "value"));
        Assert.Equal("", parameters.Text("passkeyRpName", "value"));
        Assert.Empty(parameters.At("passkeyOrigins", "value").AsArray());
    }

    /// <summary>The runs clear every variable the parameters file reads (and AZURE_LOCATION, which it must not read), so a developer's own never leak in.</summary>
    [Fact]
    public void RunsClearEveryVariableTheParametersFileReads()
    {
        var read = ReadVariable().Matches(File.ReadAllText(RepoPaths.Combine("infra", "main.bicepparam")))
            .Select(match => match.Groups["name"].Value)
            .Append("AZURE_LOCATION");

        Assert.Equal(read.Distinct().Order(StringComparer.Ordinal), Bicep.ParameterEnvironment.Order(StringComparer.Ordinal));
    }

    /// <summary>Issue 11, defect 6: location has a default (the resource group's region), so nothing requires AZURE_LOCATION.</summary>
    [Fact]
    public async Task ParametersFileBuildsWithoutAzureLocationAndTheResourcesGoToTheResourceGroupRegion()
    {
        Assert.DoesNotContain("AZURE_LOCATION", InfraFixture.ValidEnvironment.Keys);

        var run = await Bicep.RunAsync(RepoPaths.Root, InfraFixture.ValidEnvironment, "build-params", "infra/main.bicepparam", "--stdout");

        Assert.True(run.ExitCode == 0, run.ToString());
        var parameters = JsonNode.Parse(JsonNode.Parse(run.StandardOutput)!.Text("parametersJson"))!.At("parameters").AsObject();
        Assert.False(parameters.ContainsKey("location"), parameters.Raw());
        Assert.Equal("[resourceGroup().location]", infra.Template.Parameters.Text("location", "defaultValue"));
        Assert.True(infra.ValidSnapshot.Succeeded, infra.ValidSnapshot.Run.ToString());
        Assert.Equal(InfraFixture.Location, infra.ValidSnapshot.Outputs.Text("AZURE_LOCATION"));
        Assert.All(infra.ValidSnapshot.Resources("Microsoft.Web/sites").Concat(infra.ValidSnapshot.Resources("Microsoft.KeyVault/vaults")),
            resource => Assert.Equal(InfraFixture.Location, resource.Text("location")));
    }

    /// <summary>
    /// Issue 11, defect 3: later deployments may leave the key out; Key Vault keeps what it holds.
    /// Issue 12: the same for the server key.
    /// </summary>
    [Theory]
    [InlineData("AUTH_JWT_SIGNING_KEYS", "jwtSigningKeys")]
    [InlineData("AUTH_SERVER_KEY", "serverKey")]
    [InlineData("AUTH_SMTP_PASSWORD", "smtpPassword")]
    public async Task ParametersFileBuildsWithoutASecretToKeepTheOneInKeyVault(string variable, string parameter)
    {
        var run = await Bicep.RunAsync(RepoPaths.Root, InfraFixture.ValidEnvironmentWithout(variable), "build-params", "infra/main.bicepparam", "--stdout");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(run.Diagnostics(includeStandardOutput: false).Count == 0, run.ToString());
        var parameters = JsonNode.Parse(JsonNode.Parse(run.StandardOutput)!.Text("parametersJson"))!.At("parameters");
        Assert.Equal("", parameters.Text(parameter, "value"));
        Assert.Contains($"readEnvironmentVariable('{variable}', '')", File.ReadAllText(RepoPaths.Combine("infra", "main.bicepparam")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("AUTH_ALLOWED_ORIGINS")]
    [InlineData("AZURE_ENV_NAME")]
    [InlineData("AUTH_EMAIL_FROM")]
    [InlineData("AUTH_EMAIL_LINK_BASE_URL")]
    public async Task ParametersFileRefusesToBuildWithoutARequiredVariable(string variable)
    {
        var run = await Bicep.RunAsync(RepoPaths.Root, InfraFixture.ValidEnvironmentWithout(variable), "build-params", "infra/main.bicepparam", "--stdout");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains(variable, run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ParametersFileRefusesAnUnknownCookieMode()
    {
        var run = await Bicep.RunAsync(RepoPaths.Root, InfraFixture.ValidEnvironmentWith("AUTH_COOKIE_SAMESITE", "Relaxed"), "build-params", "infra/main.bicepparam", "--stdout");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("'Lax' | 'None' | 'Strict'", run.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", true)]
    [InlineData("k2:c2hvcnQ=", false)]
    [InlineData("dGVzdC1vbmx5LWtleS1uZXZlci1kZXBsb3llZC0zMmI=", true)]
    [InlineData("k2:dGVzdC1vbmx5LWtleS1uZXZlci1kZXBsb3llZC0zMmI=;dGVzdC1vbmx5LWtleS1uZXZlci1kZXBsb3llZC0zMmE=", true)]
    public async Task SigningKeysMayBeEmptyButNeverShort(string value, bool accepted)
    {
        // The deployment evaluates the same function on the secure parameters (snapshot leaves secure values
        // unevaluated); the server key goes through it too, then through checkedDistinctSecret.
        var values = infra.Template.Variables.At("keyVaultSecrets").AsArray().Select(secret => secret!.Text("value")).ToList();
        Assert.Contains("[__bicep.checkedSecret(parameters('jwtSigningKeys'), 'jwtSigningKeys', 44)]", values);
        Assert.Contains(values, expression => expression.Contains("__bicep.checkedSecret(parameters('serverKey'), 'serverKey', 44)", StringComparison.Ordinal));

        var snapshot = await infra.SnapshotAsync(
            "using '{name}.bicep'\nparam value = loadTextContent('{name}.txt')\n",
            null,
            new Dictionary<string, string>
            {
                ["{name}.bicep"] = "import { checkedSecret } from 'app/secrets.bicep'\nparam value string\noutput checked string = checkedSecret(value, 'jwtSigningKeys', 44)\n",
                ["{name}.txt"] = value,
            });

        AssertChecked(snapshot, accepted, value, "jwtSigningKeys is shorter than 44 characters", value);
    }

    private static readonly string ServerKey = InfraFixture.TestServerKey;
    private static readonly string SigningKey = InfraFixture.TestSigningKey;
    private static readonly string SecondSigningKey = Convert.ToBase64String(Encoding.ASCII.GetBytes("test-only-second-jwt-key-32bytes"));

    /// <summary>Issue 12: the server key never shares a key with the JWT signing keys, in either form (the message names the parameters, never a value).</summary>
    [Theory]
    [InlineData("{S}", "{J}", true)]
    [InlineData("", "{J}", true)]
    [InlineData("{S}", "", true)]
    [InlineData("", "", true)]
    [InlineData("k2:{S};k1:{J2}", "k1:{J}", true)]
    [InlineData("{S}", "{S}", false)]
    [InlineData("k9:{S}", "k1:{S}", false)]
    [InlineData("{S}", "k2:{J};k1:{S}", false)]
    [InlineData("k2:{S};old:{J}", "{J}", false)]
    public async Task ServerKeyNeverSharesAKeyWithTheSigningKeys(string serverKey, string signingKeys, bool accepted)
    {
        static string Expand(string value) => value
            .Replace("{S}", ServerKey, StringComparison.Ordinal)
            .Replace("{J2}", SecondSigningKey, StringComparison.Ordinal)
            .Replace("{J}", SigningKey, StringComparison.Ordinal);
        var (server, signing) = (Expand(serverKey), Expand(signingKeys));

        var snapshot = await infra.SnapshotAsync(
            "using '{name}.bicep'\nparam server = loadTextContent('{name}.server.txt')\nparam signing = loadTextContent('{name}.signing.txt')\n",
            null,
            new Dictionary<string, string>
            {
                ["{name}.bicep"] = "import { checkedDistinctSecret } from 'app/secrets.bicep'\nparam server string\nparam signing string\noutput checked string = checkedDistinctSecret(server, 'serverKey', signing, 'jwtSigningKeys')\n",
                ["{name}.server.txt"] = server,
                ["{name}.signing.txt"] = signing,
            });

        AssertChecked(snapshot, accepted, server, "serverKey contains a key that is also in jwtSigningKeys", ServerKey, SigningKey);
    }

    /// <summary>A probe's `checked` output is the value when accepted; a refusal names the rule and none of the secrets.</summary>
    internal static void AssertChecked(Snapshot snapshot, bool accepted, string value, string refusal, params string[] secrets)
    {
        Assert.True(snapshot.Succeeded == accepted, snapshot.Run.ToString());
        var output = snapshot.Run.StandardError + snapshot.Run.StandardOutput;
        if (accepted)
        {
            Assert.Equal(value, snapshot.Outputs.Text("checked"));
        }
        else
        {
            Assert.Contains(refusal, output, StringComparison.Ordinal);
            Assert.All(secrets, secret => Assert.DoesNotContain(secret, output, StringComparison.Ordinal));
        }
    }

    [GeneratedRegex(@"readEnvironmentVariable\('(?<name>[A-Z_]+)'")]
    private static partial Regex ReadVariable();
}
