using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Xml.Linq;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Packaging;

/// <summary>
/// The library as its users get it: both projects packed (<c>dotnet pack</c>) into a folder, an app of one's own
/// (Packaging/LibraryApp, outside this repository's build settings) restores <c>CookieSession.Auth</c> from that folder
/// by PackageReference, builds, and runs as its own process against Azurite with the auth routes under /identity.
/// </summary>
public sealed class NuGetPackageTests(AzuriteFixture azurite)
{
    private const string Password = "copper-kettle-meadow-5183";
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(5);

    // One pack per run, with a version of its own: the machine's package cache never serves an older build of it.
    private static readonly Lazy<Task<PackedLibrary>> Packed = new(PackAsync);

    [Fact]
    public async Task TheEmbeddedAppSignsUpLogsInReachesItsOwnEndpointRefreshesAndLogsOut()
    {
        var packed = await Packed.Value;
        await using var app = await HostProcess.StartStandaloneAsync(azurite.Settings(), await BuildLibraryAppAsync(packed));
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        var browser = new SessionClient(http);

        var email = Emails.Unique("package");
        var signup = await browser.SendAsync(HttpMethod.Post, "/identity/signup", new { email, password = Password });
        var userId = (await ResponseAssert.JsonAsync(signup, HttpStatusCode.Created)).GetProperty("userId").GetString();
        Assert.Equal("/identity", SessionClient.Cookie(signup, "refresh").Path.ToString());
        browser = new SessionClient(http);
        var login = await browser.SendAsync(HttpMethod.Post, "/identity/login", new { email, password = Password });
        Assert.Equal(userId, (await ResponseAssert.JsonAsync(login, HttpStatusCode.OK)).GetProperty("userId").GetString());
        Assert.Equal("/identity", SessionClient.Cookie(login, "device").Path.ToString());
        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsJsonAsync("/api/auth/login", new { email = "a@example.com", password = Password }, TestContext.Current.CancellationToken)).StatusCode);

        var orders = await browser.SendAsync(HttpMethod.Get, "/api/orders");
        Assert.Equal(HttpStatusCode.OK, orders.StatusCode);
        Assert.Equal(userId, JsonDocument.Parse(await orders.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("owner").GetString());
        var foreign = await browser.SendAsync(HttpMethod.Post, "/api/orders", new { }, origin: "https://evil.example");
        Assert.Equal("origin_not_allowed", (await ResponseAssert.ProblemAsync(foreign, HttpStatusCode.Forbidden)).GetProperty("code").GetString());

        Assert.Equal(HttpStatusCode.OK, (await browser.SendAsync(HttpMethod.Post, "/identity/refresh")).StatusCode);
        var access = browser.Access!;
        Assert.Equal(HttpStatusCode.OK, (await browser.SendAsync(HttpMethod.Get, "/api/orders")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await browser.SendAsync(HttpMethod.Post, "/identity/logout")).StatusCode);
        browser.Set("auth", access);
        await ResponseAssert.ProblemAsync(await browser.SendAsync(HttpMethod.Get, "/api/orders"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ThePackagesCarryDocsLicenseAndReadmeAndNothingElse()
    {
        var packed = await Packed.Value;
        foreach (var (id, assembly) in new[] { ("CookieSession.Auth", "Serverless.Auth"), ("CookieSession.Auth.Functions", "Serverless.Auth.Functions") })
        {
            using var package = ZipFile.OpenRead(Path.Combine(packed.Folder, $"{id}.{packed.Version}.nupkg"));
            var files = package.Entries.Select(entry => entry.FullName).Where(name => !name.StartsWith("_rels/", StringComparison.Ordinal) && !name.StartsWith("package/", StringComparison.Ordinal) && name != "[Content_Types].xml").Order(StringComparer.Ordinal);
            Assert.Equal([$"{id}.nuspec", "LICENSE", "PACKAGE.md", $"lib/net10.0/{assembly}.dll", $"lib/net10.0/{assembly}.xml"], files);

            await using var nuspecStream = await package.GetEntry($"{id}.nuspec")!.OpenAsync(TestContext.Current.CancellationToken);
            var nuspec = XDocument.Load(nuspecStream).Root!;
            var metadata = nuspec.Elements().Single(e => e.Name.LocalName == "metadata");
            string Value(string name) => metadata.Elements().Single(e => e.Name.LocalName == name).Value;
            Assert.Equal("MIT", Value("license"));
            Assert.Equal("PACKAGE.md", Value("readme"));
            Assert.False(string.IsNullOrWhiteSpace(Value("description")));
            Assert.Contains("authentication", Value("tags"), StringComparison.Ordinal);
            var dependencies = metadata.Descendants().Where(e => e.Name.LocalName == "dependency").ToDictionary(e => e.Attribute("id")!.Value, e => e.Attribute("version")!.Value);
            Assert.DoesNotContain(dependencies.Keys, name => name.Contains("xunit", StringComparison.OrdinalIgnoreCase) || name.Contains("Serverless", StringComparison.Ordinal));
            if (id == "CookieSession.Auth.Functions")
            {
                Assert.Equal(packed.Version, dependencies["CookieSession.Auth"]);
            }
        }
    }

    private sealed record PackedLibrary(string Folder, string Version);

    private static async Task<PackedLibrary> PackAsync()
    {
        var folder = Directory.CreateTempSubdirectory("packed-").FullName;
        var version = $"0.9.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        foreach (var project in new[] { "Serverless.Auth", "Serverless.Auth.Functions" })
        {
            await RunAsync("dotnet", ["pack", RepoPaths.Combine("functions", project), "-c", "Release", "-o", folder, "-p:Version=" + version], RepoPaths.Combine());
        }

        return new PackedLibrary(folder, version);
    }

    /// <summary>Packaging/LibraryApp in a temporary folder of its own, restoring from the packed folder; returns its dll.</summary>
    private static async Task<string> BuildLibraryAppAsync(PackedLibrary packed)
    {
        var source = RepoPaths.Combine("tests", "Serverless.Auth.Tests", "Packaging", "LibraryApp");
        var app = Directory.CreateTempSubdirectory("library-app-").FullName;
        File.Copy(Path.Combine(source, "Program.cs"), Path.Combine(app, "Program.cs"));
        File.Copy(Path.Combine(source, "LibraryApp.csproj.txt"), Path.Combine(app, "LibraryApp.csproj"));
        await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="packed" value="{packed.Folder}" />
              </packageSources>
            </configuration>
            """);
        await RunAsync("dotnet", ["build", app, "-c", "Release", "-p:CookieSessionVersion=" + packed.Version], app);
        return Path.Combine(app, "bin", "Release", "net10.0", "LibraryApp.dll");
    }

    private static async Task RunAsync(string file, IEnumerable<string> arguments, string workingDirectory)
    {
        var result = await Command.RunAsync(file, arguments, BuildTimeout, workingDirectory: workingDirectory,
            environment: new Dictionary<string, string?> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" });
        Assert.True(result.ExitCode == 0, $"{file} {string.Join(' ', arguments)} failed ({result.ExitCode}):\n{result.StandardOutput}\n{result.StandardError}");
    }
}
