using System.Text.Json.Nodes;
using Serverless.Infra.Tests.Infrastructure;
using Serverless.Testing;

namespace Serverless.Infra.Tests;

/// <summary>The Auth__* settings the template gives the Function App: names, cookie and JWT values.</summary>
public sealed class AppSettingsTests(InfraFixture infra)
{
    /// <summary>Set in Azure only. Locally the app talks to Azurite through a connection string instead.</summary>
    private static readonly Dictionary<string, string> AzureOnly = new()
    {
        ["Auth__Storage__TableServiceUri"] = "identity-based table access; the app refuses it together with Auth__Storage__ConnectionString",
        ["Auth__Storage__ManagedIdentityClientId"] = "client id of the user-assigned identity; only valid with Auth__Storage__TableServiceUri",
        ["Auth__Storage__QueueServiceUri"] = "identity-based mail queue; with a connection string the queue endpoint comes from it",
        ["Auth__Email__SmtpUser"] = "the relay's SMTP user name (Azure Communication Services); maildev takes no authentication",
        ["Auth__Email__SmtpPassword"] = "Key Vault reference to the SMTP password; maildev takes no authentication",
        ["Auth__Jwt__SigningKeys"] = "Key Vault reference to the rotation-capable key list (a single bare key is valid too), so a rotation never changes the app settings",
        ["Auth__Jwt__SigningKeysPem"] = "Key Vault reference to the ES256 PEM keys (the template's default mode); the sample signs with its local HMAC key",
        ["Auth__Oidc__RedirectBaseUrl"] = "the Function App's https URL, the base of the OpenID Connect redirect URIs; locally the app takes the request's scheme and host",
        ["Auth__Events__RetentionDays"] = "the template passes eventsRetentionDays (default 90, the app's own default); the sample relies on the app's default",
        ["Auth__Passkeys__Origins"] = "the template passes passkeyOrigins, empty by default; the sample relies on that default (the allowed origins on the RP id: http://localhost:5173 under localhost)",
    };

    /// <summary>In the sample only.</summary>
    private static readonly Dictionary<string, string> LocalOnly = new()
    {
        ["Auth__Storage__ConnectionString"] = "Azurite; in Azure shared keys are disabled and the identity is used",
        ["Auth__Jwt__SigningKey"] = "the sample's single local key; in Azure Auth__Jwt__SigningKeys carries it (the app refuses both at once)",
        ["Auth__Password__MinLength"] = "the code default (15) applies in Azure; the sample shows the knob",
        ["Auth__Argon2__MemoryKiB"] = "the code default (OWASP 19 MiB) applies in Azure; the sample shows the knob",
        ["Auth__Argon2__Iterations"] = "the code default applies in Azure; the sample shows the knob",
        ["Auth__Argon2__Parallelism"] = "the code default applies in Azure; the sample shows the knob",
    };

    [Fact]
    public void AuthSettingNamesMatchTheLocalSettingsSample()
    {
        var sample = JsonNode.Parse(File.ReadAllText(RepoPaths.Combine("local.settings.sample.json")))!
            .At("Values").AsObject().Select(value => value.Key).Where(IsAuthSetting).ToHashSet();
        var template = infra.Template.One("Microsoft.Web/sites").Resource.AppSettings().Keys.Where(IsAuthSetting).ToHashSet();

        var missingFromSample = template.Except(sample).Except(AzureOnly.Keys).Order().ToList();
        var missingFromTemplate = sample.Except(template).Except(LocalOnly.Keys).Order().ToList();
        Assert.True(missingFromSample.Count == 0, $"The template sets Auth settings that local.settings.sample.json lacks: {string.Join(", ", missingFromSample)}");
        Assert.True(missingFromTemplate.Count == 0, $"local.settings.sample.json has Auth settings the template does not set: {string.Join(", ", missingFromTemplate)}");

        // The allow-lists stay honest: each entry is really one-sided.
        Assert.All(AzureOnly.Keys, name => Assert.True(template.Contains(name) && !sample.Contains(name), $"{name} is allow-listed as Azure-only."));
        Assert.All(LocalOnly.Keys, name => Assert.True(sample.Contains(name) && !template.Contains(name), $"{name} is allow-listed as local-only."));
    }

    [Fact]
    public void CookieIsAlwaysSecureAndFollowsTheCookieParameters()
    {
        var settings = infra.Template.One("Microsoft.Web/sites").Resource.AppSettings();

        Assert.Equal("true", settings["Auth__Cookie__Secure"]);
        Assert.Equal("[parameters('cookieSameSite')]", settings["Auth__Cookie__SameSite"]);
        Assert.Equal("[if(parameters('cookiePartitioned'), 'true', 'false')]", settings["Auth__Cookie__Partitioned"]);
        Assert.Equal("[parameters('cookieName')]", settings["Auth__Cookie__Name"]);
        Assert.Equal("[parameters('cookieDomain')]", settings["Auth__Cookie__Domain"]);

        var sameSite = infra.Template.Parameters.At("cookieSameSite");
        Assert.Equal(["None", "Lax", "Strict"], sameSite.At("allowedValues").AsArray().Select(value => value!.GetValue<string>()));
        Assert.Equal("None", sameSite.Text("defaultValue"));
        Assert.Equal("[equals(parameters('cookieSameSite'), 'None')]", infra.Template.Parameters.Text("cookiePartitioned", "defaultValue"));
    }

    [Fact]
    public void DefaultDeploymentSendsSameSiteNonePartitionedCookies()
    {
        var settings = infra.ValidSnapshot.One("Microsoft.Web/sites").AppSettings();

        Assert.Equal("None", settings["Auth__Cookie__SameSite"]);
        Assert.Equal("true", settings["Auth__Cookie__Partitioned"]);
        Assert.Equal("true", settings["Auth__Cookie__Secure"]);
        Assert.Equal("auth", settings["Auth__Cookie__Name"]);
        Assert.Equal("", settings["Auth__Cookie__Domain"]);
    }

    [Fact]
    public async Task LaxCookieModeTurnsOffPartitioning()
    {
        var snapshot = await infra.SnapshotAsync(InfraFixture.ValidEnvironmentWith("AUTH_COOKIE_SAMESITE", "Lax"));

        Assert.True(snapshot.Succeeded, snapshot.Run.ToString());
        var settings = snapshot.One("Microsoft.Web/sites").AppSettings();
        Assert.Equal("Lax", settings["Auth__Cookie__SameSite"]);
        Assert.Equal("false", settings["Auth__Cookie__Partitioned"]);
        Assert.Equal("true", settings["Auth__Cookie__Secure"]);
    }

    [Fact]
    public void JwtIssuerDefaultsToTheAuthRoutesAndAudienceToTheApiBaseUrl()
    {
        var (_, site) = infra.Template.One("Microsoft.Web/sites");
        var settings = site.AppSettings();
        Assert.Equal("[if(not(empty(parameters('jwtIssuer'))), parameters('jwtIssuer'), if(equals(parameters('jwtSigningMode'), 'HS256'), variables('apiBaseUrl'), format('{0}/auth', variables('apiBaseUrl'))))]", settings["Auth__Jwt__Issuer"]);
        Assert.Equal("[if(empty(parameters('jwtAudience')), variables('apiBaseUrl'), parameters('jwtAudience'))]", settings["Auth__Jwt__Audience"]);

        var evaluated = infra.ValidSnapshot.One("Microsoft.Web/sites");
        var app = evaluated.Text("name");
        // ES256 (the default): the auth routes' base, so issuer + /.well-known/openid-configuration is the discovery route.
        Assert.Equal($"https://{app}.azurewebsites.net/api/auth", evaluated.AppSettings()["Auth__Jwt__Issuer"]);
        Assert.Equal($"https://{app}.azurewebsites.net/api", evaluated.AppSettings()["Auth__Jwt__Audience"]);
    }

    /// <summary>Issue 12: the access token lives 900 seconds by default; the app refuses LifetimeMinutes next to LifetimeSeconds.</summary>
    [Fact]
    public void JwtLifetimeIsSetInSecondsOnlyWithTheAppDefaultAndBounds()
    {
        var settings = infra.Template.One("Microsoft.Web/sites").Resource.AppSettings();
        Assert.Equal("[string(parameters('jwtLifetimeSeconds'))]", settings["Auth__Jwt__LifetimeSeconds"]);
        Assert.DoesNotContain("Auth__Jwt__LifetimeMinutes", settings.Keys);
        Assert.DoesNotContain("LifetimeMinutes", infra.TemplateText, StringComparison.Ordinal);
        Assert.Equal("[parameters('jwtLifetimeSeconds')]", infra.Template.One("Microsoft.Web/sites").Template.ModuleParameterValue("jwtLifetimeSeconds"));

        AssertIntParameter(infra.Template, "jwtLifetimeSeconds", 900, 1, 86400);
        AssertIntParameter(infra.Template.One("Microsoft.Web/sites").Template, "jwtLifetimeSeconds", null, 1, 86400);
        Assert.Equal("900", infra.ValidSnapshot.One("Microsoft.Web/sites").AppSettings()["Auth__Jwt__LifetimeSeconds"]);
    }

    /// <summary>Issue 12: session limits are parameters with the app's defaults and its bounds (1 minute to a year).</summary>
    [Fact]
    public void SessionLimitsDefaultToTheAppDefaultsWithTheAppBounds()
    {
        var (functionApp, site) = infra.Template.One("Microsoft.Web/sites");
        var settings = site.AppSettings();
        Assert.Equal("[string(parameters('sessionIdleMinutes'))]", settings["Auth__Session__IdleMinutes"]);
        Assert.Equal("[string(parameters('sessionAbsoluteMinutes'))]", settings["Auth__Session__AbsoluteMinutes"]);
        Assert.Equal("[variables('checkedSessionIdleMinutes')]", functionApp.ModuleParameterValue("sessionIdleMinutes"));
        Assert.Equal("[parameters('sessionAbsoluteMinutes')]", functionApp.ModuleParameterValue("sessionAbsoluteMinutes"));

        AssertIntParameter(infra.Template, "sessionIdleMinutes", 20160, 1, 525600);
        AssertIntParameter(infra.Template, "sessionAbsoluteMinutes", 43200, 1, 525600);
        AssertIntParameter(functionApp, "sessionIdleMinutes", null, 1, 525600);
        AssertIntParameter(functionApp, "sessionAbsoluteMinutes", null, 1, 525600);

        var evaluated = infra.ValidSnapshot.One("Microsoft.Web/sites").AppSettings();
        Assert.Equal("20160", evaluated["Auth__Session__IdleMinutes"]);
        Assert.Equal("43200", evaluated["Auth__Session__AbsoluteMinutes"]);
    }

    /// <summary>Issue 12: the app refuses an idle limit above the absolute one, so the deployment does too, before anything is created.</summary>
    [Theory]
    [InlineData(60, 120, true)]
    [InlineData(120, 120, true)]
    [InlineData(121, 120, false)]
    public async Task SessionIdleLimitMayNotExceedTheAbsoluteLimit(int idle, int absolute, bool accepted)
    {
        var snapshot = await infra.SnapshotAsync(
            InfraFixture.RequiredParameters + $"param sessionIdleMinutes = {idle}\nparam sessionAbsoluteMinutes = {absolute}\n",
            null);

        Assert.True(snapshot.Succeeded == accepted, snapshot.Run.ToString());
        if (accepted)
        {
            var settings = snapshot.One("Microsoft.Web/sites").AppSettings();
            Assert.Equal($"{idle}", settings["Auth__Session__IdleMinutes"]);
            Assert.Equal($"{absolute}", settings["Auth__Session__AbsoluteMinutes"]);
        }
        else
        {
            Assert.Contains($"sessionIdleMinutes ({idle}) is greater than sessionAbsoluteMinutes ({absolute})", snapshot.Run.StandardError + snapshot.Run.StandardOutput, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("jwtLifetimeSeconds", 0, "minimum allowable value is 1")]
    [InlineData("jwtLifetimeSeconds", 86401, "maximum allowable value is 86400")]
    [InlineData("sessionIdleMinutes", 525601, "maximum allowable value is 525600")]
    [InlineData("sessionAbsoluteMinutes", 0, "minimum allowable value is 1")]
    public async Task ParametersFileRefusesALifetimeOutOfBounds(string parameter, int value, string message)
    {
        var run = await infra.BuildParamsAsync(
            InfraFixture.RequiredParameters + $"param {parameter} = {value}\n");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains(message, run.StandardError + run.StandardOutput, StringComparison.Ordinal);
    }

    private static void AssertIntParameter(ArmTemplate template, string name, int? defaultValue, int minValue, int maxValue)
    {
        var parameter = template.Parameters.At(name);
        Assert.Equal("int", parameter.Text("type"));
        Assert.Equal(minValue, parameter.At("minValue").GetValue<int>());
        Assert.Equal(maxValue, parameter.At("maxValue").GetValue<int>());
        Assert.Equal(defaultValue, parameter["defaultValue"]?.GetValue<int>());
        Assert.False(string.IsNullOrWhiteSpace((string?)parameter["metadata"]?["description"]), $"{template.Path}: {name} has no @description");
    }

    private static bool IsAuthSetting(string name) => name.StartsWith("Auth__", StringComparison.Ordinal);
}
