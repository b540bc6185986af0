using System.Text.Json.Nodes;
using Serverless.Infra.Tests.Infrastructure;

namespace Serverless.Infra.Tests;

/// <summary>
/// Issue 29 in Azure: the passkey parameters become Auth__Passkeys__RpId / __RpName / __Origins (passkeys off by
/// default), read by the parameters file from AUTH_PASSKEYS_*, and the deployment refuses, before anything is
/// created, an RP id or ceremony origins the app would refuse to start with (PasskeyOptionsValidator).
/// </summary>
public sealed class PasskeyInfraTests(InfraFixture infra)
{
    [Fact]
    public void PasskeySettingsFollowTheCheckedPasskeyParameters()
    {
        var (functionApp, site) = infra.Template.One("Microsoft.Web/sites");
        var settings = site.AppSettings();
        Assert.Equal("[parameters('passkeyRpId')]", settings["Auth__Passkeys__RpId"]);
        Assert.Equal("[parameters('passkeyRpName')]", settings["Auth__Passkeys__RpName"]);
        Assert.Equal("[join(parameters('passkeyOrigins'), ',')]", settings["Auth__Passkeys__Origins"]);
        // Not a parameter: the app's default (20 per account) applies.
        Assert.DoesNotContain("Auth__Passkeys__MaxPerUser", settings.Keys);

        // main passes the RP id and the origins only after the checks.
        Assert.Equal("[variables('checkedPasskeyRpId')]", functionApp.ModuleParameterValue("passkeyRpId"));
        Assert.Equal("[parameters('passkeyRpName')]", functionApp.ModuleParameterValue("passkeyRpName"));
        Assert.Equal("[variables('checkedPasskeyOrigins')]", functionApp.ModuleParameterValue("passkeyOrigins"));
        Assert.Equal("[__bicep.checkedRpId(parameters('passkeyRpId'))]", infra.Template.Variables.Text("checkedPasskeyRpId"));
        Assert.Equal("[__bicep.checkedCeremonyOrigins(parameters('passkeyOrigins'), variables('checkedPasskeyRpId'), variables('corsAllowedOrigins'))]",
            infra.Template.Variables.Text("checkedPasskeyOrigins"));

        AssertParameter("passkeyRpId", "string", 253);
        AssertParameter("passkeyRpName", "string", 100);
        AssertParameter("passkeyOrigins", "array", 100);
        Assert.Equal("string", infra.Template.Parameters.Text("passkeyOrigins", "items", "type"));
        Assert.Equal(0, infra.Template.Parameters.At("passkeyOrigins", "minLength").GetValue<int>());
        Assert.Equal(100, functionApp.Parameters.At("passkeyRpName", "maxLength").GetValue<int>());
    }

    [Fact]
    public void DefaultDeploymentLeavesPasskeysOff()
    {
        var settings = infra.ValidSnapshot.One("Microsoft.Web/sites").AppSettings();

        Assert.Equal("", settings["Auth__Passkeys__RpId"]);
        Assert.Equal("", settings["Auth__Passkeys__RpName"]);
        Assert.Equal("", settings["Auth__Passkeys__Origins"]);
    }

    /// <summary>
    /// The parameters file reads AUTH_PASSKEYS_* (the origins split on commas, trimmed, empty entries dropped). Accepted:
    /// an RP id the frontend's host is or is under, with listed origins on it or, none listed, an allowed origin on it
    /// (the fixture's allowed origins are https://app.example.com and http://localhost:5173).
    /// </summary>
    [Theory]
    [InlineData("example.com", "Example", " https://app.example.com , https://admin.example.com:8443,", "https://app.example.com,https://admin.example.com:8443")]
    [InlineData("example.com", "", "", "")]
    [InlineData("app.example.com", "", "", "")]
    [InlineData("example.com", "", "https://example.com,https://a.b.example.com", "https://example.com,https://a.b.example.com")]
    [InlineData("localhost", "", "", "")]
    [InlineData("localhost", "Local", "http://localhost:5173", "http://localhost:5173")]
    public async Task ParametersFileTurnsPasskeysOnForAnRpIdTheFrontendCanUse(string rpId, string rpName, string origins, string expectedOrigins)
    {
        var snapshot = await infra.SnapshotAsync(Environment(("AUTH_PASSKEYS_RP_ID", rpId), ("AUTH_PASSKEYS_RP_NAME", rpName), ("AUTH_PASSKEYS_ORIGINS", origins)));

        Assert.True(snapshot.Succeeded, snapshot.Run.ToString());
        var settings = snapshot.One("Microsoft.Web/sites").AppSettings();
        Assert.Equal(rpId, settings["Auth__Passkeys__RpId"]);
        Assert.Equal(rpName, settings["Auth__Passkeys__RpName"]);
        Assert.Equal(expectedOrigins, settings["Auth__Passkeys__Origins"]);
    }

    /// <summary>What the app would refuse at start-up (taking every function down) stops the deployment instead.</summary>
    [Theory]
    [InlineData("", "https://app.example.com", "checkedPasskeyOrigins", "passkeyOrigins is set but passkeyRpId is not")]
    [InlineData("10.0.0.1", "", "checkedPasskeyRpId", "passkeyRpId (10.0.0.1) must be a registrable domain in lower case")]
    [InlineData("127.0.0.1", "", "checkedPasskeyRpId", "not an IP address")]
    [InlineData("Example.com", "", "checkedPasskeyRpId", "passkeyRpId (Example.com) must be a registrable domain in lower case")]
    [InlineData("example.com.", "", "checkedPasskeyRpId", "passkeyRpId (example.com.) must be")]
    [InlineData("https://example.com", "", "checkedPasskeyRpId", "passkeyRpId (https://example.com) must be")]
    [InlineData("contoso.com", "", "checkedPasskeyOrigins", "passkeyRpId (contoso.com): no frontend origin may use it")]
    [InlineData("ample.com", "", "checkedPasskeyOrigins", "passkeyRpId (ample.com): no frontend origin may use it")]
    [InlineData("example.com", "https://notexample.com", "checkedPasskeyOrigins", "whose host is example.com or under it; not: https://notexample.com")]
    [InlineData("example.com", "https://app.example.com,https://evil.com", "checkedPasskeyOrigins", "; not: https://evil.com")]
    [InlineData("example.com", "http://app.example.com", "checkedPasskeyOrigins", "; not: http://app.example.com")]
    [InlineData("example.com", "https://app.example.com/", "checkedPasskeyOrigins", "; not: https://app.example.com/")]
    [InlineData("example.com", "https://App.example.com", "checkedPasskeyOrigins", "; not: https://App.example.com")]
    [InlineData("example.com", "*", "checkedPasskeyOrigins", "; not: *")]
    [InlineData("localhost", "http://127.0.0.1:5173", "checkedPasskeyOrigins", "; not: http://127.0.0.1:5173")]
    public async Task DeploymentStopsBeforeCreatingAnythingGivenAnUnusableRpIdOrOrigins(string rpId, string origins, string variable, string message)
    {
        var snapshot = await infra.SnapshotAsync(Environment(("AUTH_PASSKEYS_RP_ID", rpId), ("AUTH_PASSKEYS_ORIGINS", origins)));

        Assert.False(snapshot.Succeeded, $"The template accepted RP id '{rpId}' with origins '{origins}':\n{snapshot.Run}");
        var output = snapshot.Run.StandardError + snapshot.Run.StandardOutput;
        Assert.Contains($"'{variable}'", output, StringComparison.Ordinal);
        Assert.Contains(message, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ParametersFileRefusesAnRpNameLongerThanTheAppAllows()
    {
        var run = await infra.BuildParamsAsync(InfraFixture.RequiredParameters + $"param passkeyRpName = '{new string('x', 101)}'\n");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("maximum allowable length is 100", run.StandardError + run.StandardOutput, StringComparison.Ordinal);
    }

    private static Dictionary<string, string> Environment(params (string Name, string Value)[] values)
    {
        var environment = new Dictionary<string, string>(InfraFixture.ValidEnvironment);
        foreach (var (name, value) in values)
        {
            environment[name] = value;
        }

        return environment;
    }

    private void AssertParameter(string name, string type, int maxLength)
    {
        var parameter = infra.Template.Parameters.At(name);
        Assert.Equal(type, parameter.Text("type"));
        Assert.Equal(maxLength, parameter.At("maxLength").GetValue<int>());
        Assert.Equal(0, parameter.At("defaultValue") switch
        {
            JsonArray array => array.Count,
            var value => value.GetValue<string>().Length,
        });
        Assert.Contains("Auth__Passkeys__", parameter.Text("metadata", "description"), StringComparison.Ordinal);
    }
}
