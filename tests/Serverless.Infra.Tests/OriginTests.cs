using System.Text.Json;
using System.Text.Json.Nodes;
using Serverless.Infra.Tests.Infrastructure;

namespace Serverless.Infra.Tests;

/// <summary>
/// Credentialed CORS: the Function App allows exactly the configured origins with
/// Access-Control-Allow-Credentials, and the template refuses '*', empty and malformed entries.
/// </summary>
public sealed class OriginTests(InfraFixture infra)
{
    [Fact]
    public void CorsAllowsExactlyTheParameterOriginsWithCredentials()
    {
        var (functionApp, site) = infra.Template.One("Microsoft.Web/sites");
        var cors = site.At("properties", "siteConfig", "cors");

        Assert.True(cors.Flag("supportCredentials"));
        Assert.Equal("[parameters('allowedOrigins')]", cors.Text("allowedOrigins"));
        Assert.Equal("[join(parameters('allowedOrigins'), ',')]", site.AppSettings()["Auth__AllowedOrigins"]);

        // ...and the module receives main's parameter only after the check.
        Assert.Equal("[variables('corsAllowedOrigins')]", functionApp.ModuleParameterValue("allowedOrigins"));
        Assert.Equal("[__bicep.checkedOrigins(parameters('allowedOrigins'))]", infra.Template.Variables.Text("corsAllowedOrigins"));
        var allowedOrigins = infra.Template.Parameters.At("allowedOrigins");
        Assert.Equal("array", allowedOrigins.Text("type"));
        Assert.Equal("string", allowedOrigins.Text("items", "type"));
        Assert.Equal(1, allowedOrigins.At("minLength").GetValue<int>());
    }

    [Fact]
    public void DeployedCorsAndOriginsSettingAreTheConfiguredOrigins()
    {
        Assert.True(infra.ValidSnapshot.Succeeded, infra.ValidSnapshot.Run.ToString());
        var site = infra.ValidSnapshot.One("Microsoft.Web/sites");
        var cors = site.At("properties", "siteConfig", "cors");

        Assert.Equal(["https://app.example.com", "http://localhost:5173"], cors.At("allowedOrigins").AsArray().Select(origin => origin!.GetValue<string>()));
        Assert.True(cors.Flag("supportCredentials"));
        Assert.Equal("https://app.example.com,http://localhost:5173", site.AppSettings()["Auth__AllowedOrigins"]);
    }

    [Fact]
    public void CompiledTemplateCarriesTheRefusalOfWildcardAndMalformedOrigins()
    {
        var check = infra.Template.Json.At("functions").AsArray()
            .Select(ns => ns!["members"]?["checkedOrigins"])
            .Single(member => member is not null)!;
        var expression = check.Text("output", "value");

        Assert.Contains("contains(parameters('origins'), '*')", expression, StringComparison.Ordinal);
        Assert.Contains("fail('allowedOrigins contains ''*''", expression, StringComparison.Ordinal);
        Assert.Contains("empty(parameters('origins'))", expression, StringComparison.Ordinal);
        Assert.Contains(".isValidOrigin(", expression, StringComparison.Ordinal);
        Assert.Contains("has malformed or insecure entries", expression, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("*", "contains '*'")]
    [InlineData("https://app.example.com,*", "contains '*'")]
    [InlineData("", "malformed or insecure entries")]
    [InlineData("https://app.example.com/", "malformed or insecure entries (expected https://host[:port] in lower case, no path or trailing slash; http only for http://localhost[:port] or http://127.0.0.1[:port]): https://app.example.com/")]
    [InlineData("https://app.example.com,,https://admin.example.com", "malformed or insecure entries")]
    [InlineData("app.example.com", "malformed or insecure entries (expected https://host[:port] in lower case, no path or trailing slash; http only for http://localhost[:port] or http://127.0.0.1[:port]): app.example.com")]
    [InlineData("https://app.example.com,http://app.example.com", "): http://app.example.com")]
    public async Task DeploymentStopsBeforeCreatingAnythingGivenUnusableOrigins(string origins, string expectedMessage)
    {
        var snapshot = await infra.SnapshotAsync(InfraFixture.ValidEnvironmentWith("AUTH_ALLOWED_ORIGINS", origins));

        Assert.False(snapshot.Succeeded, $"The template accepted '{origins}':\n{snapshot.Run}");
        Assert.Contains("corsAllowedOrigins", snapshot.Run.StandardError + snapshot.Run.StandardOutput, StringComparison.Ordinal);
        Assert.Contains(expectedMessage, snapshot.Run.StandardError + snapshot.Run.StandardOutput, StringComparison.Ordinal);
    }

    /// <summary>
    /// Issue 11, defect 8: the auth cookie goes to every listed origin with credentials, so plain http is
    /// refused except for a dev server on this machine (http://localhost, http://127.0.0.1).
    /// </summary>
    [Fact]
    public async Task OriginCheckAcceptsBareHttpsOriginsAndHttpOnlyForLoopback()
    {
        (string Origin, bool Valid)[] cases =
        [
            ("https://app.example.com", true),
            ("http://localhost:5173", true),
            ("http://localhost", true),
            ("https://api.example.com:8443", true),
            ("http://127.0.0.1:5173", true),
            ("http://127.0.0.1", true),
            ("https://localhost:5173", true),
            ("https://my-app.azurestaticapps.net", true),
            ("http://app.example.com", false),
            ("http://my-app.azurestaticapps.net", false),
            ("http://localhost.example.com", false),
            ("http://127.0.0.1.nip.io", false),
            ("http://127.0.0.2:5173", false),
            ("http://[::1]:5173", false),
            ("http://0.0.0.0:5173", false),
            ("*", false),
            ("", false),
            ("null", false),
            ("https://", false),
            ("https://app.example.com/", false),
            ("https://app.example.com/path", false),
            ("https://app.example.com?x=1", false),
            ("https://app.example.com#top", false),
            ("https://*.example.com", false),
            ("https://user@app.example.com", false),
            ("https://App.Example.com", false),
            ("HTTPS://app.example.com", false),
            ("ftp://app.example.com", false),
            ("app.example.com", false),
            ("//app.example.com", false),
            ("https://app.example.com:", false),
            ("https://app.example.com:80a", false),
            ("https://app.example.com:123456", false),
            ("https://app.example.com:443:1", false),
            ("https://.example.com", false),
            ("https://app.example.com.", false),
            ("https://app example.com", false),
            (" https://app.example.com", false),
            ("https://https://app.example.com", false),
        ];

        var run = await infra.BuildParamsAsync(
            """
            using '{name}.bicep'
            import { isValidOrigin } from 'app/origins.bicep'
            param results = map(loadJsonContent('{name}.json'), origin => isValidOrigin(origin))
            """,
            extraFiles: new Dictionary<string, string>
            {
                ["{name}.bicep"] = "param results bool[]\noutput results bool[] = results\n",
                ["{name}.json"] = JsonSerializer.Serialize(cases.Select(c => c.Origin)),
            });

        Assert.True(run.ExitCode == 0, run.ToString());
        var results = JsonNode.Parse(JsonNode.Parse(run.StandardOutput)!.Text("parametersJson"))!
            .At("parameters", "results", "value").AsArray().Select(result => result!.GetValue<bool>()).ToArray();
        var wrong = cases.Zip(results).Where(pair => pair.First.Valid != pair.Second).Select(pair => $"'{pair.First.Origin}' should be {(pair.First.Valid ? "accepted" : "refused")}");
        Assert.Empty(wrong);
    }
}
