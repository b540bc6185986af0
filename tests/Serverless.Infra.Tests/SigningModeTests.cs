using Serverless.Infra.Tests.Infrastructure;

namespace Serverless.Infra.Tests;

/// <summary>
/// Issue 15: ES256 is the template's default. The PEM keys are one more entry of main's secret list
/// (secure parameter, written only when given, versionless reference, role on that secret); the signing
/// mode decides which key secrets a deployment writes, grants and references, so no mode points the app
/// at a secret that does not exist, and the HS256 keys can stay, verify-only, while a deployment migrates.
/// </summary>
public sealed class SigningModeTests(InfraFixture infra)
{
    private const string KeyVaultSecretsUser = "4633458b-17de-408a-b874-0445c86b69e6";

    [Fact]
    public void PemKeysAreASecureParameterWrittenOnlyWhenGivenAndEs256IsTheDefault()
    {
        var pem = infra.Template.Parameters.At("jwtSigningKeysPem");
        Assert.Equal("securestring", pem.Text("type"));
        Assert.Equal("", pem.Text("defaultValue"));
        Assert.Equal(4096, pem.At("maxLength").GetValue<int>());

        var mode = infra.Template.Parameters.At("jwtSigningMode");
        Assert.Equal("ES256", mode.Text("defaultValue"));
        Assert.Equal(["ES256", "ES256+HS256", "HS256"], mode.At("allowedValues").AsArray().Select(value => value!.GetValue<string>()));

        var secret = infra.Template.Variables.At("keyVaultSecrets").AsArray().Select(entry => entry!.AsObject()).Single(entry => entry.Text("name") == "jwt-signing-keys-pem");
        Assert.Equal("Auth__Jwt__SigningKeysPem", secret.Text("appSetting"));
        Assert.Equal("[__bicep.checkedPem(parameters('jwtSigningKeysPem'), 'jwtSigningKeysPem')]", secret.Text("value"));
        Assert.Contains("readEnvironmentVariable('AUTH_JWT_SIGNING_KEYS_PEM', '')", File.ReadAllText(Serverless.Testing.RepoPaths.Combine("infra", "main.bicepparam")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ES256", new[] { "jwt-signing-keys-pem", "server-key" }, "/api/auth")]
    [InlineData("ES256+HS256", new[] { "jwt-signing-keys-pem", "jwt-signing-keys", "server-key" }, "/api/auth")]
    [InlineData("HS256", new[] { "jwt-signing-keys", "server-key" }, "/api")]
    public async Task EachModeWritesGrantsAndReferencesItsOwnSecretsOnly(string mode, string[] secrets, string issuerPath)
    {
        var snapshot = mode == "ES256" ? infra.ValidSnapshot : await infra.SnapshotAsync(InfraFixture.ValidEnvironmentWith("AUTH_JWT_SIGNING_MODE", mode));
        Assert.True(snapshot.Succeeded, snapshot.Run.ToString());

        Assert.Equal(secrets, snapshot.Resources("Microsoft.KeyVault/vaults/secrets").Select(found => found.Text("name").Split('/')[^1]));
        var vault = snapshot.Outputs.Text("AZURE_KEY_VAULT_NAME");
        var group = $"/subscriptions/{InfraFixture.SubscriptionId}/resourceGroups/{InfraFixture.ResourceGroup}";
        var granted = snapshot.Resources("Microsoft.Authorization/roleAssignments")
            .Select(assignment => ArmPatterns.RoleAssignmentId().Match(assignment.Text("id")))
            .Where(id => id.Success && id.Groups["role"].Value == KeyVaultSecretsUser)
            .Select(id => id.Groups["scope"].Value[group.Length..]).Order().ToList();
        Assert.Equal(secrets.Select(secret => $"/providers/Microsoft.KeyVault/vaults/{vault}/secrets/{secret}").Order(), granted);

        var site = snapshot.One("Microsoft.Web/sites");
        var settings = site.AppSettings();
        foreach (var (setting, secret) in new[] { ("Auth__Jwt__SigningKeysPem", "jwt-signing-keys-pem"), ("Auth__Jwt__SigningKeys", "jwt-signing-keys") })
        {
            if (secrets.Contains(secret))
            {
                var reference = ArmPatterns.KeyVaultReference().Match(settings[setting]);
                Assert.True(reference.Success, settings[setting]);
                Assert.Equal(secret, reference.Groups["secret"].Value);
            }
            else
            {
                // Empty is unset for the app: it never sees a reference to a secret that does not exist.
                Assert.Equal("", settings[setting]);
            }
        }

        Assert.Equal($"https://{site.Text("name")}.azurewebsites.net{issuerPath}", settings["Auth__Jwt__Issuer"]);
        Assert.DoesNotContain("PRIVATE KEY", site.Raw(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnExplicitIssuerWinsInEveryMode()
    {
        var environment = new Dictionary<string, string>(InfraFixture.ValidEnvironmentWith("AUTH_JWT_ISSUER", "https://auth.example.com/api/auth"));
        var snapshot = await infra.SnapshotAsync(environment);

        Assert.Equal("https://auth.example.com/api/auth", snapshot.One("Microsoft.Web/sites").AppSettings()["Auth__Jwt__Issuer"]);
    }

    [Theory]
    [InlineData("", true)]
    [InlineData("{PEM}", true)]
    [InlineData("{PEM}\n{PEM}", true)]
    [InlineData("not a key", false)]
    [InlineData("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----", false)]
    [InlineData("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", false)]
    public async Task PemKeysMayBeEmptyButNeverAnythingElseThanPrivateKeyBlocks(string value, bool accepted)
    {
        value = value.Replace("{PEM}", InfraFixture.TestSigningKeyPem.Trim(), StringComparison.Ordinal);
        // Secure values stay unevaluated in a snapshot: probe the function the deployment evaluates.
        var snapshot = await infra.SnapshotAsync(
            "using '{name}.bicep'\nparam value = loadTextContent('{name}.txt')\n",
            null,
            new Dictionary<string, string>
            {
                ["{name}.bicep"] = "import { checkedPem } from 'app/secrets.bicep'\nparam value string\noutput checked string = checkedPem(value, 'jwtSigningKeysPem')\n",
                ["{name}.txt"] = value,
            });

        Assert.True(snapshot.Succeeded == accepted, snapshot.Run.ToString());
        var output = snapshot.Run.StandardError + snapshot.Run.StandardOutput;
        if (accepted)
        {
            Assert.Equal(value, snapshot.Outputs.Text("checked"));
        }
        else
        {
            Assert.Contains("jwtSigningKeysPem must be PKCS#8 PEM", output, StringComparison.Ordinal);
            Assert.DoesNotContain("AAAA", output, StringComparison.Ordinal);
        }
    }
}
