using System.Text;
using System.Text.Json.Nodes;
using Serverless.Infra.Tests.Infrastructure;
using Serverless.Testing;

[assembly: AssemblyFixture(typeof(InfraFixture))]

namespace Serverless.Infra.Tests.Infrastructure;

/// <summary>
/// Builds and lints infra/main.bicep once per test run, and keeps a temporary copy of infra/ where
/// parameters files are evaluated (`bicep snapshot` runs the ARM template engine offline, so the
/// deployment-time checks of the template really run) without writing into the repository.
/// </summary>
public sealed class InfraFixture : IAsyncLifetime
{
    public const string SubscriptionId = "00000000-0000-0000-0000-00000000c0de";
    public const string TenantId = "00000000-0000-0000-0000-0000000000aa";
    public const string ResourceGroup = "rg-infra-tests";
    public const string Location = "eastus2";

    // 32 bytes, base64: shaped like a real key, used only by these tests.
    public static readonly string TestSigningKey = Convert.ToBase64String(Encoding.ASCII.GetBytes("test-only-key-never-deployed-32b"));

    // Another 32 bytes: the server key is never one of the JWT signing keys.
    /// <summary>A P-256 key made for this test run (ES256, the default mode): never deployed.</summary>
    public static readonly string TestSigningKeyPem = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256).ExportPkcs8PrivateKeyPem();

    public static readonly string TestServerKey = Convert.ToBase64String(Encoding.ASCII.GetBytes("test-only-server-key-not-for-use"));

    /// <summary>
    /// Environment of a first deployment with two frontend origins. No AZURE_LOCATION: the template
    /// takes the resource group's region (snapshots run in <see cref="Location"/>).
    /// </summary>
    public static IReadOnlyDictionary<string, string> ValidEnvironment { get; } = new Dictionary<string, string>
    {
        ["AZURE_ENV_NAME"] = "infra-tests",
        ["AUTH_ALLOWED_ORIGINS"] = "https://app.example.com, http://localhost:5173",
        ["AUTH_JWT_SIGNING_KEYS"] = TestSigningKey,
        ["AUTH_JWT_SIGNING_KEYS_PEM"] = TestSigningKeyPem,
        ["AUTH_SERVER_KEY"] = TestServerKey,
        ["AUTH_EMAIL_FROM"] = TestEmailFrom,
        ["AUTH_EMAIL_LINK_BASE_URL"] = "https://app.example.com/auth",
    };

    public const string TestEmailFrom = "Infra Tests <DoNotReply@example.com>";

    /// <summary>The required parameters of main.bicep, for parameters files written by a test (append more lines).</summary>
    public const string RequiredParameters =
        "using 'main.bicep'\nparam environmentName = 'infra-tests'\nparam allowedOrigins = ['https://app.example.com']\n" +
        "param smtpHost = 'smtp.azurecomm.net'\nparam emailFrom = 'Infra Tests <DoNotReply@example.com>'\nparam emailLinkBaseUrl = 'https://app.example.com/auth'\n";

    private readonly string workspace = Directory.CreateTempSubdirectory("infra-tests-").FullName;

    public BicepRun Build { get; private set; } = null!;

    /// <summary>`bicep lint` over every file under infra/.</summary>
    public BicepRun Lint { get; private set; } = null!;

    public ArmTemplate Template { get; private set; } = null!;

    /// <summary>The raw compiled JSON, for "appears nowhere" checks.</summary>
    public string TemplateText => Build.StandardOutput;

    public Snapshot ValidSnapshot { get; private set; } = null!;

    public static IReadOnlyDictionary<string, string> ValidEnvironmentWith(string name, string value) =>
        new Dictionary<string, string>(ValidEnvironment) { [name] = value };

    public static IReadOnlyDictionary<string, string> ValidEnvironmentWith(params (string Name, string Value)[] values) =>
        values.Aggregate(new Dictionary<string, string>(ValidEnvironment), (environment, value) => { environment[value.Name] = value.Value; return environment; });

    public static IReadOnlyDictionary<string, string> ValidEnvironmentWithout(string name) =>
        ValidEnvironment.Where(pair => pair.Key != name).ToDictionary();

    public async ValueTask InitializeAsync()
    {
        CopyDirectory(RepoPaths.Combine("infra"), workspace);
        var build = Bicep.RunAsync(RepoPaths.Root, null, "build", "infra/main.bicep", "--stdout");
        // One lint of every file under infra/ (main.bicep and its modules), shared by the lint tests.
        var lint = Bicep.RunAsync(RepoPaths.Root, null, "lint", "--pattern", "infra/**/*.bicep");
        var snapshot = SnapshotAsync(ValidEnvironment);
        Build = await build;
        Lint = await lint;
        ValidSnapshot = await snapshot;
        Assert.True(Build.ExitCode == 0, Build.ToString());
        Template = ArmTemplate.Parse(Build.StandardOutput);
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            Directory.Delete(workspace, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp folder left behind is harmless.
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Evaluates main.bicepparam with <paramref name="environment"/> and the whole template as ARM would
    /// at deployment (variables, functions, fail(), module parameters), without Azure.
    /// </summary>
    public Task<Snapshot> SnapshotAsync(IReadOnlyDictionary<string, string> environment) =>
        SnapshotAsync(File.ReadAllText(Path.Combine(workspace, "main.bicepparam")), environment);

    /// <summary>`bicep snapshot` of a parameters file written into the copy of infra/ (with its probe files).</summary>
    public Task<Snapshot> SnapshotAsync(string bicepparamText, IReadOnlyDictionary<string, string>? environment, IReadOnlyDictionary<string, string>? extraFiles = null) =>
        InWorkspaceAsync(bicepparamText, extraFiles, async name =>
        {
            var output = Path.Combine(workspace, name + ".snapshot.json");
            try
            {
                var run = await Bicep.RunAsync(workspace, environment,
                    "snapshot", name + ".bicepparam", "--mode", "overwrite",
                    "--subscription-id", SubscriptionId, "--tenant-id", TenantId,
                    "--resource-group", ResourceGroup, "--location", Location, "--deployment-name", "infra-tests");
                var json = File.Exists(output) ? JsonNode.Parse(await File.ReadAllTextAsync(output))?.AsObject() : null;
                return new Snapshot(run, json);
            }
            finally
            {
                File.Delete(output);
            }
        });

    /// <summary>Runs `bicep build-params` on a parameters file written into the copy of infra/.</summary>
    public Task<BicepRun> BuildParamsAsync(string bicepparamText, IReadOnlyDictionary<string, string>? environment = null, IReadOnlyDictionary<string, string>? extraFiles = null) =>
        InWorkspaceAsync(bicepparamText, extraFiles, name => Bicep.RunAsync(workspace, environment, "build-params", name + ".bicepparam", "--stdout"));

    /// <summary>
    /// Writes {name}.bicepparam and the extra files ("{name}" in a file name or text becomes a fresh
    /// unique name) into the copy of infra/, runs <paramref name="run"/> with that name, then deletes them.
    /// </summary>
    private async Task<T> InWorkspaceAsync<T>(string bicepparamText, IReadOnlyDictionary<string, string>? extraFiles, Func<string, Task<T>> run)
    {
        var name = $"probe-{Guid.NewGuid():N}";
        var files = (extraFiles ?? new Dictionary<string, string>()).Append(new("{name}.bicepparam", bicepparamText));
        var written = new List<string>();
        foreach (var (file, text) in files)
        {
            var path = Path.Combine(workspace, file.Replace("{name}", name, StringComparison.Ordinal));
            written.Add(path);
            await File.WriteAllTextAsync(path, text.Replace("{name}", name, StringComparison.Ordinal));
        }

        try
        {
            return await run(name);
        }
        finally
        {
            written.ForEach(File.Delete);
        }
    }

    private static void CopyDirectory(string source, string target)
    {
        foreach (var directory in Directory.EnumerateDirectories(source, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(target, Path.GetRelativePath(source, directory)));
        }

        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(target, Path.GetRelativePath(source, file)), overwrite: true);
        }
    }
}

/// <summary>Result of `bicep snapshot`: the resources ARM would deploy, with expressions evaluated.</summary>
public sealed record Snapshot(BicepRun Run, JsonObject? Json)
{
    public bool Succeeded => Run.ExitCode == 0 && Json is not null;

    public IReadOnlyList<JsonObject> Resources(string type) =>
        (Json?["predictedResources"]?.AsArray() ?? [])
            .Select(node => node!.AsObject())
            .Where(resource => string.Equals((string?)resource["type"], type, StringComparison.OrdinalIgnoreCase))
            .ToList();

    public JsonObject One(string type)
    {
        var found = Resources(type);
        Assert.True(found.Count == 1, $"Expected exactly one {type} in the snapshot, found {found.Count}.\n{Run}");
        return found[0];
    }

    public JsonObject Outputs => Json?["outputs"]?.AsObject() ?? [];
}
