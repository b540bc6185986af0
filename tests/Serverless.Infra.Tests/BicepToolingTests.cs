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
        Assert.Equal(InfraFixture.Location, parameters.Text("location", "value"));
        Assert.Equal("None", parameters.Text("cookieSameSite", "value"));
        Assert.Equal("", parameters.Text("jwtIssuer", "value"));
    }

    [Theory]
    [InlineData("AUTH_JWT_SIGNING_KEY")]
    [InlineData("AUTH_ALLOWED_ORIGINS")]
    [InlineData("AZURE_ENV_NAME")]
    public async Task ParametersFileRefusesToBuildWithoutARequiredVariable(string variable)
    {
        var environment = InfraFixture.ValidEnvironment.Where(pair => pair.Key != variable).ToDictionary();

        var run = await Bicep.RunAsync(RepoPaths.Root, environment, "build-params", "infra/main.bicepparam", "--stdout");

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

    [Fact]
    public async Task ParametersFileRefusesASigningKeyShorterThan32Bytes()
    {
        var shortKey = Convert.ToBase64String(new byte[16]);

        var run = await Bicep.RunAsync(RepoPaths.Root, InfraFixture.ValidEnvironmentWith("AUTH_JWT_SIGNING_KEY", shortKey), "build-params", "infra/main.bicepparam", "--stdout");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("minimum allowable length is 44", run.StandardError, StringComparison.Ordinal);
    }
}
