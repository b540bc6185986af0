using Serverless.Infra.Tests.Infrastructure;

namespace Serverless.Infra.Tests;

/// <summary>
/// Issue 31 in Azure: the admin API's issuer (adminAuthority, adminIssuers, adminAudiences, adminRole, from AUTH_ADMIN_*)
/// becomes Auth__Admin__* only when an authority is given (the admin API is off by default), the event retention
/// (eventsRetentionDays, AUTH_EVENTS_RETENTION_DAYS) becomes Auth__Events__RetentionDays, and the deployment refuses,
/// before anything is created, an admin issuer the app would refuse at start-up.
/// </summary>
public sealed class AdminInfraTests(InfraFixture infra)
{
    private const string Tenant = "11111111-2222-3333-4444-555555555555";
    private const string ClientId = "99999999-8888-7777-6666-555555555555";
    private const string Authority = $"https://login.microsoftonline.com/{Tenant}/v2.0";

    [Fact]
    public void ParametersCarryTheAppDefaultsAndBoundsAndTheSiteGetsTheCheckedAuthority()
    {
        AssertParameter("adminAuthority", "string", "");
        Assert.Equal(2048, infra.Template.Parameters.At("adminAuthority", "maxLength").GetValue<int>());
        foreach (var name in new[] { "adminIssuers", "adminAudiences" })
        {
            AssertParameter(name, "array", null);
            Assert.Empty(infra.Template.Parameters.At(name, "defaultValue").AsArray());
            Assert.Equal("string", infra.Template.Parameters.Text(name, "items", "type"));
        }

        AssertParameter("adminRole", "string", "Auth.Admin");
        Assert.Equal(1, infra.Template.Parameters.At("adminRole", "minLength").GetValue<int>());
        AssertParameter("eventsRetentionDays", "int", null);
        Assert.Equal(90, infra.Template.Parameters.At("eventsRetentionDays", "defaultValue").GetValue<int>());
        Assert.Equal(1, infra.Template.Parameters.At("eventsRetentionDays", "minValue").GetValue<int>());
        Assert.Equal(3650, infra.Template.Parameters.At("eventsRetentionDays", "maxValue").GetValue<int>());

        // The site gets the authority only after the check; the retention is always written, the admin settings
        // come from a variable that is empty while the authority is.
        var (functionApp, site) = infra.Template.One("Microsoft.Web/sites");
        Assert.Equal("[variables('checkedAdminAuthority')]", functionApp.ModuleParameterValue("adminAuthority"));
        Assert.StartsWith("[__bicep.checkedAuthority(parameters('adminAuthority'), parameters('adminIssuers'), parameters('adminAudiences'), ",
            infra.Template.Variables.Text("checkedAdminAuthority"), StringComparison.Ordinal);
        Assert.Equal("[string(parameters('eventsRetentionDays'))]", site.AppSettings()["Auth__Events__RetentionDays"]);
        Assert.StartsWith("[if(empty(parameters('adminAuthority')), createArray(), ", functionApp.Variables.Text("adminAppSettings"), StringComparison.Ordinal);
        Assert.Contains("variables('adminAppSettings')", site.Text("properties", "siteConfig", "appSettings"), StringComparison.Ordinal);

        var parameters = File.ReadAllText(Serverless.Testing.RepoPaths.Combine("infra", "main.bicepparam"));
        Assert.Contains("param adminAuthority = readEnvironmentVariable('AUTH_ADMIN_AUTHORITY', '')", parameters, StringComparison.Ordinal);
        Assert.Contains("param adminRole = readEnvironmentVariable('AUTH_ADMIN_ROLE', 'Auth.Admin')", parameters, StringComparison.Ordinal);
        Assert.Contains("param eventsRetentionDays = int(readEnvironmentVariable('AUTH_EVENTS_RETENTION_DAYS', '90'))", parameters, StringComparison.Ordinal);
    }

    [Fact]
    public void DefaultDeploymentKeepsEventsNinetyDaysAndLeavesTheAdminApiOff()
    {
        var settings = infra.ValidSnapshot.One("Microsoft.Web/sites").AppSettings();

        Assert.Equal("90", settings["Auth__Events__RetentionDays"]);
        Assert.DoesNotContain(settings.Keys, name => name.StartsWith("Auth__Admin__", StringComparison.Ordinal));
    }

    /// <summary>
    /// Entra ID with both token versions: the parameters file splits the comma-separated lists (trimmed, empty entries
    /// dropped), and the settings join them again.
    /// </summary>
    [Fact]
    public async Task AnAuthorityWithItsAudiencesTurnsTheAdminApiOn()
    {
        var snapshot = await SnapshotAsync(
            ("AUTH_ADMIN_AUTHORITY", Authority),
            ("AUTH_ADMIN_ISSUERS", $" {Authority} , https://sts.windows.net/{Tenant}/,"),
            ("AUTH_ADMIN_AUDIENCES", $"{ClientId}, api://{ClientId}"),
            ("AUTH_ADMIN_ROLE", "Support.Admin"),
            ("AUTH_EVENTS_RETENTION_DAYS", "30"));

        Assert.True(snapshot.Succeeded, snapshot.Run.ToString());
        var settings = snapshot.One("Microsoft.Web/sites").AppSettings();
        Assert.Equal(new Dictionary<string, string>
        {
            ["Auth__Admin__Authority"] = Authority,
            ["Auth__Admin__Issuer"] = $"{Authority},https://sts.windows.net/{Tenant}/",
            ["Auth__Admin__Audience"] = $"{ClientId},api://{ClientId}",
            ["Auth__Admin__Role"] = "Support.Admin",
        }, settings.Where(setting => setting.Key.StartsWith("Auth__Admin__", StringComparison.Ordinal)).ToDictionary());
        Assert.Equal("30", settings["Auth__Events__RetentionDays"]);
    }

    /// <summary>Without issuers the app takes the discovery document's: no empty Auth__Admin__Issuer is written; the role defaults.</summary>
    [Fact]
    public async Task WithoutIssuersTheDiscoveryDocumentsIssuerAndTheDefaultRoleApply()
    {
        var snapshot = await SnapshotAsync(("AUTH_ADMIN_AUTHORITY", Authority), ("AUTH_ADMIN_AUDIENCES", ClientId));

        Assert.True(snapshot.Succeeded, snapshot.Run.ToString());
        var settings = snapshot.One("Microsoft.Web/sites").AppSettings();
        Assert.Equal(Authority, settings["Auth__Admin__Authority"]);
        Assert.Equal(ClientId, settings["Auth__Admin__Audience"]);
        Assert.Equal("Auth.Admin", settings["Auth__Admin__Role"]);
        Assert.DoesNotContain("Auth__Admin__Issuer", settings.Keys);
    }

    /// <summary>
    /// What the app would refuse at start-up (taking every function down), or would silently ignore, stops the
    /// deployment instead. {app} is the Function App's name: its own issuer is https://{app}.azurewebsites.net/api/auth
    /// (ES256, the default) unless AUTH_JWT_ISSUER says otherwise.
    /// </summary>
    [Theory]
    [InlineData("http://login.example.com/tenant/v2.0", ClientId, "", "", "adminAuthority (http://login.example.com/tenant/v2.0) must be the admin token issuer's https URL with a lower-case host")]
    [InlineData("http://localhost:4000", ClientId, "", "", "adminAuthority (http://localhost:4000) must be the admin token issuer's https URL")]
    [InlineData("https://Login.example.com/tenant", ClientId, "", "", "must be the admin token issuer's https URL with a lower-case host")]
    [InlineData("https://login.example.com/tenant?x=1", ClientId, "", "", "without query or fragment")]
    [InlineData("login.example.com/tenant", ClientId, "", "", "must be the admin token issuer's https URL")]
    [InlineData(Authority, "", "", "", "adminAudiences is empty: adminAuthority needs the aud values admin tokens carry")]
    [InlineData(Authority, " , ", "", "", "adminAudiences is empty")]
    [InlineData("", ClientId, "", "", "adminIssuers or adminAudiences is set but adminAuthority is not")]
    [InlineData("", "", Authority, "", "adminIssuers or adminAudiences is set but adminAuthority is not")]
    [InlineData("https://{app}.azurewebsites.net/api/auth", ClientId, "", "", "adminAuthority and adminIssuers must not be this app's own issuer (")]
    [InlineData("https://{app}.azurewebsites.net/api/auth/", ClientId, "", "", "must not be this app's own issuer")]
    [InlineData(Authority, ClientId, "https://{app}.azurewebsites.net/api/auth", "", "must not be this app's own issuer")]
    [InlineData(Authority, ClientId, $"{Authority},https://{{app}}.azurewebsites.net/api", "", "must not be this app's own issuer")]
    [InlineData("https://auth.example.com/api/auth", ClientId, "", "https://auth.example.com/api/auth", "must not be this app's own issuer (https://auth.example.com/api/auth or ")]
    [InlineData(Authority, ClientId, "HTTPS://AUTH.EXAMPLE.COM/API/AUTH/", "https://auth.example.com/api/auth", "must not be this app's own issuer")]
    public async Task DeploymentStopsBeforeCreatingAnythingGivenAnAdminIssuerTheAppCannotUse(string authority, string audiences, string issuers, string jwtIssuer, string message)
    {
        var app = infra.ValidSnapshot.One("Microsoft.Web/sites").Text("name");
        var snapshot = await SnapshotAsync(
            ("AUTH_ADMIN_AUTHORITY", authority.Replace("{app}", app, StringComparison.Ordinal)),
            ("AUTH_ADMIN_AUDIENCES", audiences),
            ("AUTH_ADMIN_ISSUERS", issuers.Replace("{app}", app, StringComparison.Ordinal)),
            ("AUTH_JWT_ISSUER", jwtIssuer));

        Assert.False(snapshot.Succeeded, $"The template accepted authority '{authority}', audiences '{audiences}', issuers '{issuers}':\n{snapshot.Run}");
        var output = snapshot.Run.StandardError + snapshot.Run.StandardOutput;
        Assert.Contains("'checkedAdminAuthority'", output, StringComparison.Ordinal);
        Assert.Contains(message, output, StringComparison.Ordinal);
    }

    /// <summary>Another issuer on a custom domain is fine: only this app's own issuer is refused.</summary>
    [Fact]
    public async Task AnAuthorityBesideACustomIssuerIsAccepted()
    {
        var snapshot = await SnapshotAsync(("AUTH_ADMIN_AUTHORITY", "https://login.example.com/admins"), ("AUTH_ADMIN_AUDIENCES", "api://auth-admin"),
            ("AUTH_JWT_ISSUER", "https://auth.example.com/api/auth"));

        Assert.True(snapshot.Succeeded, snapshot.Run.ToString());
        Assert.Equal("https://login.example.com/admins", snapshot.One("Microsoft.Web/sites").AppSettings()["Auth__Admin__Authority"]);
    }

    [Theory]
    [InlineData("param eventsRetentionDays = 0", "minimum allowable value is 1")]
    [InlineData("param eventsRetentionDays = 3651", "maximum allowable value is 3650")]
    [InlineData("param adminRole = ''", "minimum allowable length is 1")]
    public async Task ParametersFileRefusesValuesOutOfBounds(string line, string message)
    {
        var run = await infra.BuildParamsAsync(InfraFixture.RequiredParameters + line + "\n");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains(message, run.StandardError + run.StandardOutput, StringComparison.Ordinal);
    }

    private Task<Snapshot> SnapshotAsync(params (string Name, string Value)[] values) => infra.SnapshotAsync(InfraFixture.ValidEnvironmentWith(values));

    private void AssertParameter(string name, string type, string? defaultValue)
    {
        var parameter = infra.Template.Parameters.At(name);
        Assert.Equal(type, parameter.Text("type"));
        if (defaultValue is not null)
        {
            Assert.Equal(defaultValue, parameter.Text("defaultValue"));
        }

        Assert.Contains(name == "eventsRetentionDays" ? "Auth__Events__" : "Auth__Admin__", parameter.Text("metadata", "description"), StringComparison.Ordinal);
    }
}
