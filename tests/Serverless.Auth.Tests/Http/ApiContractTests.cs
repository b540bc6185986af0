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

        Assert.Equal(AuthApi.All.Count, paths.Sum(p => p.Value!.AsObject().Count));
        foreach (var endpoint in AuthApi.All)
        {
            var operation = paths[endpoint.Path]?[endpoint.Method.ToLowerInvariant()];
            Assert.True(operation is not null, $"{endpoint.Method} {endpoint.Path} is missing");
            Assert.Equal(endpoint.Name, operation["operationId"]!.GetValue<string>());
            Assert.Equal(endpoint.Summary, operation["summary"]!.GetValue<string>());

            var responses = operation["responses"]!.AsObject();
            Assert.Contains(responses, r => r.Key.StartsWith('2'));
            foreach (var status in endpoint.ProblemStatuses)
            {
                var problem = responses[status.ToString(System.Globalization.CultureInfo.InvariantCulture)];
                Assert.True(problem is not null, $"{endpoint.Name} does not document {status}");
                Assert.NotNull(problem["content"]!["application/problem+json"]);
            }

            Assert.Equal(endpoint.RequestBody is not null, operation["requestBody"] is not null);
        }
    }

    [Fact]
    public async Task SessionResponsesDescribeTheirFields()
    {
        var schemas = (await LiveDocumentAsync())["components"]!["schemas"]!;

        var session = schemas["SessionResponse"]!["properties"]!.AsObject();
        Assert.Equal(["userId", "email", "expiresAt", "emailConfirmed"], session.Select(p => p.Key));
        Assert.Equal("date-time", session["expiresAt"]!["format"]!.GetValue<string>());
        Assert.Equal("boolean", session["emailConfirmed"]!["type"]!.GetValue<string>());
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
    /// One function per declared endpoint, same name, method and route, each a one-line delegation to its
    /// declaration (the source says what it calls; FunctionsAppTests check the built metadata against the contract).
    /// </summary>
    [Fact]
    public void FunctionsAppHasOneFunctionPerEndpoint()
    {
        var folder = RepoPaths.Combine("functions", "Serverless.Functions");
        var functions = Directory.GetFiles(folder, "*Function.cs")
            .Select(File.ReadAllText)
            .Where(source => source.Contains("[HttpTrigger(", StringComparison.Ordinal))
            .Select(source => Regex.Match(source,
                """\[Function\("(?<name>\w+)"\)\][\s\S]*?HttpTrigger\(AuthorizationLevel\.Anonymous, "(?<method>\w+)", Route = AuthRoutes\.(?<route>\w+)\)\][\s\S]*?AuthApi\.(?<endpoint>\w+)\.InvokeAsync\(request\.HttpContext\)"""))
            .ToList();

        Assert.All(functions, match => Assert.True(match.Success, "a function class does not follow the one-line delegation shape"));
        Assert.Equal(
            AuthApi.All.Select(e => $"{e.Name} {e.Method.ToLowerInvariant()} {e.Route} {e.Name}").Order(),
            functions.Select(m => $"{m.Groups["name"]} {m.Groups["method"]} {RouteOf(m.Groups["route"].Value)} {m.Groups["endpoint"]}").Order());
    }

    [Fact]
    public void FunctionsAppRunsTheStorageCleanupOnTheSharedSchedule()
    {
        var source = File.ReadAllText(RepoPaths.Combine("functions", "Serverless.Functions", "CleanupFunction.cs"));

        Assert.Contains("[TimerTrigger(ServerlessAuthExtensions.CleanupSchedule)] TimerInfo timer, FunctionContext context", source, StringComparison.Ordinal);
        Assert.Contains("context.InstanceServices.RunStorageCleanupAsync(context.CancellationToken)", source, StringComparison.Ordinal);
        Assert.Equal("0 */15 * * * *", ServerlessAuthExtensions.CleanupSchedule);
    }

    private static string? RouteOf(string constant) => typeof(AuthRoutes).GetField(constant)?.GetRawConstantValue() as string;
}
