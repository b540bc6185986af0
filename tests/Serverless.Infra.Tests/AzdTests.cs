using Serverless.Infra.Tests.Infrastructure;
using Serverless.Testing;

namespace Serverless.Infra.Tests;

/// <summary>azure.yaml wires `azd up` to infra/ and to the Functions project.</summary>
public sealed class AzdTests(InfraFixture infra)
{
    [Fact]
    public void AzureYamlProvisionsInfraAndDeploysTheFunctionsProjectToTheTaggedApp()
    {
        var lines = File.ReadAllLines(RepoPaths.Combine("azure.yaml")).Select(line => line.TrimEnd()).ToList();

        Assert.Contains("infra:", lines);
        Assert.Contains("  provider: bicep", lines);
        Assert.Contains("  path: infra", lines);
        Assert.Contains("  module: main", lines);
        Assert.Contains("services:", lines);
        var service = lines[lines.IndexOf("services:") + 1].Trim().TrimEnd(':');
        Assert.Contains("    project: ./functions/Serverless.Functions", lines);
        Assert.Contains("    language: dotnet", lines);
        Assert.Contains("    host: function", lines);
        Assert.True(File.Exists(RepoPaths.Combine("functions", "Serverless.Functions", "Serverless.Functions.csproj")));

        // azd finds the app to deploy to by this tag.
        var (functionApp, _) = infra.Template.One("Microsoft.Web/sites");
        Assert.Equal(service, functionApp.ModuleParameterValue("azdServiceName"));
        var tags = infra.ValidSnapshot.One("Microsoft.Web/sites").At("tags");
        Assert.Equal(service, tags.Text("azd-service-name"));
        Assert.Equal("infra-tests", tags.Text("azd-env-name"));
    }

    /// <summary>The first `azd up` needs the ES256 key and the server key (each from its own openssl run) and the mail settings.</summary>
    [Fact]
    public void AzureYamlNamesEverySecretTheFirstProvisionNeeds()
    {
        var text = File.ReadAllText(RepoPaths.Combine("azure.yaml"));

        Assert.Contains("azd env set AUTH_JWT_SIGNING_KEYS_PEM \"$(openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256)\"", text, StringComparison.Ordinal);
        Assert.Contains("azd env set AUTH_SERVER_KEY \"$(openssl rand -base64 32)\"", text, StringComparison.Ordinal);
        foreach (var variable in new[] { "AUTH_EMAIL_FROM", "AUTH_EMAIL_LINK_BASE_URL", "AUTH_SMTP_USER", "AUTH_SMTP_PASSWORD" })
        {
            Assert.Contains("azd env set " + variable + " ", text, StringComparison.Ordinal);
        }
    }
}
