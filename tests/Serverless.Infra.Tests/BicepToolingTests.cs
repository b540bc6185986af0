using System.Text.Json.Nodes;
using Serverless.Infra.Tests.Infrastructure;
using Serverless.Testing;

namespace Serverless.Infra.Tests;

/// <summary>The Bicep CLI from NuGet builds and lints the templates with zero warnings.</summary>
public sealed class BicepToolingTests(InfraFixture infra)
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
        Assert.Equal("None", parameters.Text("cookieSameSite", "value"));
        Assert.Equal("", parameters.Text("jwtIssuer", "value"));
        Assert.Equal("default", parameters.Text("keyVaultCreateMode", "value"));
        Assert.Equal("", parameters.Text("keyVaultNameSalt", "value"));
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

    /// <summary>Issue 11, defect 3: later deployments may leave the key out; Key Vault keeps what it holds.</summary>
    [Fact]
    public async Task ParametersFileBuildsWithoutSigningKeysToKeepTheOnesInKeyVault()
    {
        var run = await Bicep.RunAsync(RepoPaths.Root, InfraFixture.ValidEnvironmentWithout("AUTH_JWT_SIGNING_KEYS"), "build-params", "infra/main.bicepparam", "--stdout");

        Assert.True(run.ExitCode == 0, run.ToString());
        var parameters = JsonNode.Parse(JsonNode.Parse(run.StandardOutput)!.Text("parametersJson"))!.At("parameters");
        Assert.Equal("", parameters.Text("jwtSigningKeys", "value"));
    }

    [Theory]
    [InlineData("AUTH_ALLOWED_ORIGINS")]
    [InlineData("AZURE_ENV_NAME")]
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
        // The deployment evaluates the same function on the secure parameter (snapshot leaves secure values unevaluated).
        Assert.Equal("[__bicep.checkedSecret(parameters('jwtSigningKeys'), 'jwtSigningKeys', 44)]",
            infra.Template.Variables.At("keyVaultSecrets").AsArray().Single()!.Text("value"));

        var snapshot = await infra.SnapshotAsync(
            "using '{name}.bicep'\nparam value = loadTextContent('{name}.txt')\n",
            null,
            new Dictionary<string, string>
            {
                ["{name}.bicep"] = "import { checkedSecret } from 'app/secrets.bicep'\nparam value string\noutput checked string = checkedSecret(value, 'jwtSigningKeys', 44)\n",
                ["{name}.txt"] = value,
            });

        Assert.True(snapshot.Succeeded == accepted, snapshot.Run.ToString());
        if (accepted)
        {
            Assert.Equal(value, snapshot.Outputs.Text("checked"));
        }
        else
        {
            Assert.Contains("jwtSigningKeys is shorter than 44 characters", snapshot.Run.StandardError + snapshot.Run.StandardOutput, StringComparison.Ordinal);
            Assert.DoesNotContain(value, snapshot.Run.StandardError + snapshot.Run.StandardOutput, StringComparison.Ordinal);
        }
    }
}
