using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Serverless.Auth;
using Serverless.Auth.Http;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Http;

/// <summary>
/// The OpenAPI document is generated from the endpoint declarations; the committed copy
/// (functions/openapi.json) must equal the live one, and the Functions app must declare the same endpoints.
/// </summary>
public sealed class ApiContractTests(DocumentedApi shared) : IClassFixture<DocumentedApi>
{
    private static readonly string CommittedPath = RepoPaths.Combine("functions", "openapi.json");
    private readonly TestApi api = shared.Api;


    private async Task<JsonNode> LiveDocumentAsync()
    {
        var response = await api.Client.GetAsync(AuthApiDocument.Path, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
    }

    [Fact]
    public async Task CommittedDocumentMatchesTheLiveOne()
    {
        var live = await LiveDocumentAsync();
        if (Environment.GetEnvironmentVariable("UPDATE_OPENAPI") == "1")
        {
            await File.WriteAllTextAsync(CommittedPath, live.ToJsonString(new() { WriteIndented = true }) + "\n", TestContext.Current.CancellationToken);
        }

        var committed = JsonNode.Parse(await File.ReadAllTextAsync(CommittedPath, TestContext.Current.CancellationToken));
        Assert.True(JsonNode.DeepEquals(live, committed),
            "functions/openapi.json differs from the live document: run `UPDATE_OPENAPI=1 dotnet test --project tests/Serverless.Auth.Tests -- --filter-class '*ApiContractTests'` and commit the file.");
    }

    [Fact]
    public async Task DocumentIsOpenApi31WithoutHostSpecificServers()
    {
        var document = await LiveDocumentAsync();

        Assert.StartsWith("3.1", document["openapi"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(document["servers"]);
    }

    [Fact]
    public async Task DocumentListsEveryEndpointWithItsSuccessAndProblemResponses()
    {
        var paths = (await LiveDocumentAsync())["paths"]!.AsObject();

        // The auth routes, and the sample protected API the template ships (samples/Serverless.Samples) with its problems.
        (string Path, string Method, string Name, int[] Problems)[] samples =
        [
            ("/api/me", "get", "Me", [401]),
            ("/api/me/notes", "get", "MyNotes", [401]),
            ("/api/me/notes", "post", "AddMyNote", [400, 401, 403]),
        ];
        Assert.Equal(AuthApi.All.Count + samples.Length, paths.Sum(p => p.Value!.AsObject().Count));
        foreach (var (path, method, name, problems) in samples)
        {
            var operation = paths[path]?[method];
            Assert.True(operation is not null, $"{method} {path} is missing");
            Assert.Equal(name, operation["operationId"]!.GetValue<string>());
            Assert.All(problems, status => Assert.NotNull(operation["responses"]![status.ToString(System.Globalization.CultureInfo.InvariantCulture)]!["content"]!["application/problem+json"]));
        }

        foreach (var endpoint in AuthApi.All)
        {
            var operation = paths[endpoint.Path]?[endpoint.Method.ToLowerInvariant()];
            Assert.True(operation is not null, $"{endpoint.Method} {endpoint.Path} is missing");
            Assert.Equal(endpoint.Name, operation["operationId"]!.GetValue<string>());
            Assert.Equal(endpoint.Summary, operation["summary"]!.GetValue<string>());

            var responses = operation["responses"]!.AsObject();
            // A top-level navigation (the social sign-in's start and callback) answers 302 instead.
            Assert.Contains(responses, r => r.Key.StartsWith('2') || (endpoint.Declaration.Operation.Redirects && r.Key == "302"));
            foreach (var status in endpoint.ProblemStatuses)
            {
                var problem = responses[status.ToString(System.Globalization.CultureInfo.InvariantCulture)];
                Assert.True(problem is not null, $"{endpoint.Name} does not document {status}");
                Assert.NotNull(problem["content"]!["application/problem+json"]);
            }

            Assert.Equal(endpoint.Declaration.RequestBody is not null, operation["requestBody"] is not null);
        }
    }

    [Fact]
    public async Task SessionResponsesDescribeTheirFields()
    {
        var schemas = (await LiveDocumentAsync())["components"]!["schemas"]!;

        var session = schemas["SessionResponse"]!["properties"]!.AsObject();
        Assert.Equal(["status", "expiresAt", "userId", "email", "emailConfirmed", "amr", "methods"], session.Select(p => p.Key));
        Assert.Equal(["expiresAt", "status"], schemas["SessionResponse"]!["required"]!.AsArray().Select(r => r!.GetValue<string>()).Order());
        Assert.Equal("date-time", session["expiresAt"]!["format"]!.GetValue<string>());
        Assert.Equal("""["null","boolean"]""", session["emailConfirmed"]!["type"]!.ToJsonString());
        Assert.Equal(["status"], schemas["AcceptedResponse"]!["properties"]!.AsObject().Select(p => p.Key));
    }

    /// <summary>
    /// The mail sender function reads the queue the API writes to (the same flat setting) through the identity
    /// connection Bicep configures. (Serverless.Infra.Tests' FunctionsAppTests check the built functions.metadata.)
    /// </summary>
    [Fact]
    public void MailSenderFunctionTriggersOnTheConfiguredQueue()
    {
        var source = File.ReadAllText(RepoPaths.Combine("functions", "Serverless.Functions", "MailSenderFunction.cs"));

        Assert.Equal("AUTH_EMAIL_QUEUE", Serverless.Auth.Storage.StorageOptions.EmailQueueSetting);
        Assert.Contains("[QueueTrigger(\"%\" + StorageOptions.EmailQueueSetting + \"%\", Connection = \"AuthQueue\")] string message", source, StringComparison.Ordinal);
        Assert.Contains("DeliverQueuedMailAsync(message, context.CancellationToken)", source, StringComparison.Ordinal);
    }

    /// <summary>
    /// One function per line of the route table, same name, method and route, each a one-line delegation to its
    /// endpoint, in the generated and committed Generated/AuthFunctions.cs (the build writes it; FunctionsAppTests
    /// check the built metadata against the contract).
    /// </summary>
    [Fact]
    public void FunctionsAppHasOneGeneratedFunctionPerRouteTableLine()
    {
        var source = File.ReadAllText(RepoPaths.Combine("functions", "Serverless.Functions", "Generated", "AuthFunctions.cs"));
        var functions = Regex.Matches(source,
                """\[Function\("(?<name>\w+)"\)\]\n    public static Task<IResult> \w+\(\[HttpTrigger\(AuthorizationLevel\.Anonymous, "(?<method>\w+)", Route = "(?<route>[^"]+)"\)\] HttpRequest request\) =>\n        AuthApi\.(?<endpoint>\w+)\.InvokeAsync\(request\.HttpContext\);""")
            .Select(m => $"{m.Groups["name"]} {m.Groups["method"]} {m.Groups["route"]} {m.Groups["endpoint"]}");

        Assert.Equal(Regex.Count(source, "HttpTrigger"), Regex.Count(source, @"\[Function\("));
        Assert.Equal(
            AuthApi.All.Select(e => $"{e.Name} {e.Method.ToLowerInvariant()} {e.FunctionRoute} {e.Name}").Order(),
            functions.Order());
        Assert.DoesNotContain(Directory.GetFiles(RepoPaths.Combine("functions", "Serverless.Functions"), "*.cs"),
            file => File.ReadAllText(file).Contains("[HttpTrigger(", StringComparison.Ordinal));
    }

    [Fact]
    public void FunctionsAppRunsTheStorageCleanupOnTheSharedSchedule()
    {
        var source = File.ReadAllText(RepoPaths.Combine("functions", "Serverless.Functions", "CleanupFunction.cs"));

        Assert.Contains("[TimerTrigger(ServerlessAuthExtensions.CleanupSchedule)] TimerInfo timer, FunctionContext context", source, StringComparison.Ordinal);
        Assert.Contains("context.InstanceServices.RunStorageCleanupAsync(context.CancellationToken)", source, StringComparison.Ordinal);
        Assert.Equal("0 */15 * * * *", ServerlessAuthExtensions.CleanupSchedule);
    }
}
