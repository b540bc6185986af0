using System.Text.Json.Nodes;

namespace Serverless.Infra.Tests.Infrastructure;

/// <summary>
/// A compiled ARM template and the templates of its modules (nested Microsoft.Resources/deployments),
/// so a test can find "the storage account" wherever the module put it. Handles both the array form
/// of <c>resources</c> (languageVersion 1.0) and the symbolic-name object form (2.0).
/// </summary>
public sealed class ArmTemplate
{
    private ArmTemplate(JsonObject json, string path, JsonObject? moduleParameters, ArmTemplate? parent)
    {
        Json = json;
        Path = path;
        ModuleParameters = moduleParameters;
        Parent = parent;
    }

    public JsonObject Json { get; }

    /// <summary>"main", "main/functionApp", ...</summary>
    public string Path { get; }

    /// <summary>The parameter values the parent passes to this module (null for main).</summary>
    public JsonObject? ModuleParameters { get; }

    public ArmTemplate? Parent { get; }

    public JsonObject Parameters => Json["parameters"]?.AsObject() ?? [];

    public JsonObject Variables => Json["variables"]?.AsObject() ?? [];

    public JsonObject Outputs => Json["outputs"]?.AsObject() ?? [];

    /// <summary>Resources declared (not <c>existing</c> references) by this template only.</summary>
    public IEnumerable<JsonObject> OwnResources =>
        (Json["resources"] switch
        {
            JsonArray array => array.Select(node => node!.AsObject()),
            JsonObject map => map.Select(pair => pair.Value!.AsObject()),
            _ => [],
        }).Where(resource => resource["existing"]?.GetValue<bool>() != true);

    public IEnumerable<ArmTemplate> Modules =>
        OwnResources
            .Where(resource => (string?)resource["type"] == "Microsoft.Resources/deployments")
            .Select(resource => new ArmTemplate(
                resource["properties"]!["template"]!.AsObject(),
                $"{Path}/{ModuleName(resource)}",
                resource["properties"]!["parameters"]?.AsObject(),
                this));

    /// <summary>This template and every module below it.</summary>
    public IEnumerable<ArmTemplate> All => Modules.SelectMany(module => module.All).Prepend(this);

    public static ArmTemplate Parse(string json) =>
        new(JsonNode.Parse(json)?.AsObject() ?? throw new InvalidOperationException("The compiled template is not a JSON object."), "main", null, null);

    /// <summary>Every declared resource of <paramref name="type"/> in any template, with the template that declares it.</summary>
    public IReadOnlyList<(ArmTemplate Template, JsonObject Resource)> ResourcesOfType(string type) =>
        All.SelectMany(template => template.OwnResources
                .Where(resource => string.Equals((string?)resource["type"], type, StringComparison.OrdinalIgnoreCase))
                .Select(resource => (template, resource)))
            .ToList();

    /// <summary>The one declared resource of <paramref name="type"/>; fails the test if there is none or several.</summary>
    public (ArmTemplate Template, JsonObject Resource) One(string type)
    {
        var found = ResourcesOfType(type);
        Assert.True(found.Count == 1, $"Expected exactly one {type} in the compiled template, found {found.Count}.");
        return found[0];
    }

    /// <summary>The expression the parent passes for one of this module's parameters.</summary>
    public string? ModuleParameterValue(string name) =>
        ModuleParameters?[name]?["value"] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static string ModuleName(JsonObject resource) =>
        resource["name"]?.GetValue<string>() ?? "module";
}
