using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Serverless.Infra.Tests.Infrastructure;

public static class Json
{
    private static readonly JsonSerializerOptions Unescaped = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>JSON text with ARM expressions readable as written (no \u0027 for quotes), for text searches.</summary>
    public static string Raw(this JsonNode node) => node.ToJsonString(Unescaped);

    /// <summary>Follows a property path; fails the test naming the missing step.</summary>
    public static JsonNode At(this JsonNode node, params string[] path)
    {
        var current = node;
        foreach (var step in path)
        {
            current = current[step] ?? throw new Xunit.Sdk.XunitException($"'{string.Join('.', path)}' is missing (no '{step}') in:\n{node.Raw()}");
        }

        return current;
    }

    public static string Text(this JsonNode node, params string[] path) => node.At(path).GetValue<string>();

    public static bool Flag(this JsonNode node, params string[] path) => node.At(path).GetValue<bool>();

    /// <summary>
    /// The Function App's siteConfig.appSettings as name → value (values as written: literal or ARM expression). A snapshot
    /// holds them as an array; the compiled template as one expression, because the list takes in variables (the admin
    /// API's settings, and the OpenID Connect providers' at the end): there, the settings written out are read from it
    /// (<see cref="ArmExpression"/>).
    /// </summary>
    public static IReadOnlyDictionary<string, string> AppSettings(this JsonObject site) =>
        site.At("properties", "siteConfig", "appSettings") switch
        {
            JsonArray array => array
                .Select(setting => setting!.AsObject())
                .ToDictionary(setting => setting.Text("name"), setting => setting["value"] is JsonValue value && value.TryGetValue<string>(out var text) ? text : setting["value"]?.Raw() ?? ""),
            var expression => ArmExpression.CreatedObjects(expression.GetValue<string>())
                .ToDictionary(setting => ArmExpression.Literal(setting["name"]) ?? setting["name"], setting => ArmExpression.AsWritten(setting["value"])),
        };
}
