using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Serverless.Infra.Tests.Infrastructure;
using Serverless.Testing;

namespace Serverless.Infra.Tests;

/// <summary>
/// What the Functions host and Flex Consumption's scale controller read from the built app (this project
/// builds Serverless.Functions first): functions.metadata has one anonymous HTTP function per operation of
/// the API contract, the mail queue trigger and the clean-up timer with the settings the template sets, and
/// no trigger names a setting the scale controller may fail to resolve.
/// </summary>
public sealed partial class FunctionsAppTests(InfraFixture infra)
{
    private static readonly string Output = RepoPaths.Combine("functions", "Serverless.Functions", "bin",
        typeof(FunctionsAppTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration, "net10.0", "linux-x64");

    private static readonly Lazy<IReadOnlyList<JsonObject>> Functions = new(() =>
        [.. JsonNode.Parse(File.ReadAllText(Path.Combine(Output, "functions.metadata")))!.AsArray().Select(function => function!.AsObject())]);

    [Fact]
    public void EveryOperationOfTheContractIsAnAnonymousHttpFunctionWithItsRouteAndMethod()
    {
        var prefix = JsonNode.Parse(File.ReadAllText(RepoPaths.Combine("host.json")))!.Text("extensions", "http", "routePrefix");
        var operations = JsonNode.Parse(File.ReadAllText(RepoPaths.Combine("functions", "openapi.json")))!.At("paths").AsObject()
            .SelectMany(path => path.Value!.AsObject().Select(operation => $"{operation.Value!.Text("operationId")} {operation.Key} {path.Key}"))
            .Order(StringComparer.Ordinal)
            .ToList();

        var httpFunctions = Functions.Value
            .Select(function => (Name: function.Text("name"), Trigger: Trigger(function)))
            .Where(function => function.Trigger.Text("type") == "httpTrigger")
            .ToList();

        // The auth routes (AuthApi, with MFA, passkeys, social sign-in, activity and the admin API) and the sample protected API (samples/Serverless.Samples).
        Assert.Equal(51, operations.Count);
        // The Functions host reserves "admin" at the start of routes and function names: the admin API's functions are named Manage*.
        Assert.Contains(httpFunctions, function => function.Trigger.Text("route") == "auth/admin/users/{id}/disable");
        Assert.DoesNotContain(httpFunctions, function => function.Name.StartsWith("admin", StringComparison.OrdinalIgnoreCase) || function.Trigger.Text("route").StartsWith("admin", StringComparison.OrdinalIgnoreCase));
        Assert.All(httpFunctions, function => Assert.Equal("Anonymous", function.Trigger.Text("authLevel")));
        Assert.Equal(operations, httpFunctions
            .Select(function => $"{function.Name} {Assert.Single(function.Trigger.At("methods").AsArray())!.GetValue<string>()} /{prefix}/{function.Trigger.Text("route")}")
            .Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// The sample protected API ships in the app with the worker middleware that enforces its <c>[Authorize]</c>
    /// (Program.cs registers it; FunctionsMiddlewareTests drives it on these very functions).
    /// </summary>
    [Fact]
    public void TheSampleFunctionsAndTheSessionMiddlewareAreInTheBuild()
    {
        foreach (var name in new[] { "Me", "MyNotes", "AddMyNote" })
        {
            Assert.Equal("Serverless.Functions.Samples.SampleFunctions." + name, Function(name).Text("entryPoint"));
        }

        Assert.True(File.Exists(Path.Combine(Output, "Serverless.Auth.Functions.dll")));
        Assert.Contains("builder.UseSessionAuthorization();", File.ReadAllText(RepoPaths.Combine("functions", "Serverless.Functions", "Program.cs")), StringComparison.Ordinal);
    }

    /// <summary>The sender reads the queue the API writes to: one flat app setting, set by the template and the sample settings.</summary>
    [Fact]
    public void MailSenderIsAQueueTriggerOnTheFlatQueueSettingThroughTheIdentityConnection()
    {
        var trigger = Trigger(Function("MailSender"));

        Assert.Equal(("queueTrigger", "%AUTH_EMAIL_QUEUE%", "AuthQueue"), (trigger.Text("type"), trigger.Text("queueName"), trigger.Text("connection")));
        var site = infra.ValidSnapshot.One("Microsoft.Web/sites").AppSettings();
        Assert.Equal("auth-email", site["AUTH_EMAIL_QUEUE"]);
        Assert.Contains("AuthQueue__queueServiceUri", site.Keys);
        var sample = JsonNode.Parse(File.ReadAllText(RepoPaths.Combine("local.settings.sample.json")))!.At("Values");
        Assert.Equal("auth-email", sample.Text("AUTH_EMAIL_QUEUE"));
        Assert.Equal("UseDevelopmentStorage=true", sample.Text("AuthQueue"));
    }

    [Fact]
    public void CleanupIsATimerTriggerEveryFifteenMinutes()
    {
        var trigger = Trigger(Function("Cleanup"));

        Assert.Equal(("timerTrigger", "0 */15 * * * *"), (trigger.Text("type"), trigger.Text("schedule")));
        Assert.Null(trigger["runOnStartup"]);
        Assert.Equal(["Cleanup", "MailSender"], Functions.Value.Where(function => Trigger(function).Text("type") != "httpTrigger").Select(function => function.Text("name")).Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// The scale controller resolves %setting% names and connection names of triggers itself, outside the app, and
    /// has failed on names with ':' (azure-functions-host#8261); '__' is how such a name is spelled as an app setting.
    /// </summary>
    [Fact]
    public void NoTriggerNamesASettingWithAColonOrDoubleUnderscore()
    {
        var names = Functions.Value
            .SelectMany(function => function.At("bindings").AsArray().Select(binding => binding!.AsObject()))
            .SelectMany(binding => binding
                .Where(property => property.Value is JsonValue value && value.TryGetValue<string>(out _))
                .SelectMany(property => property.Key == "connection"
                    ? [property.Value!.GetValue<string>()]
                    : SettingReference().Matches(property.Value!.GetValue<string>()).Select(match => match.Groups["name"].Value)))
            .ToList();

        Assert.Equal(["AUTH_EMAIL_QUEUE", "AuthQueue"], names.Order(StringComparer.Ordinal));
        Assert.All(names, name => Assert.DoesNotMatch("[:]|__", name));
    }

    /// <summary>The host loads the queue extension from the app's own folder: the one the build put there.</summary>
    [Fact]
    public void TheHostLoadsTheQueueExtensionTheBuildCarries()
    {
        var extension = JsonNode.Parse(File.ReadAllText(Path.Combine(Output, "extensions.json")))!.At("extensions").AsArray()
            .Select(node => node!.AsObject())
            .Single(node => node.Text("name") == "AzureStorageQueues");

        Assert.True(File.Exists(Path.Combine(Output, extension.Text("hintPath"))), extension.Raw());
        Assert.Matches(@"^Microsoft\.Azure\.WebJobs\.Extensions\.Storage\.AzureStorageQueuesWebJobsStartup, Microsoft\.Azure\.WebJobs\.Extensions\.Storage\.Queues, Version=5\.3\.\d+\.0,", extension.Text("typeName"));
    }

    private static JsonObject Function(string name) => Assert.Single(Functions.Value, function => function.Text("name") == name);

    private static JsonObject Trigger(JsonObject function) =>
        Assert.Single(function.At("bindings").AsArray(), binding => binding!.Text("type").EndsWith("Trigger", StringComparison.Ordinal))!.AsObject();

    [GeneratedRegex("%(?<name>[^%]+)%")]
    private static partial Regex SettingReference();
}
