using System.Text.Json;

namespace Serverless.Standalone;

/// <summary>
/// Reads local.settings.json the way Azure Functions Core Tools does: every <c>Values</c> entry is a
/// setting (<c>Auth__Jwt__Issuer</c> becomes <c>Auth:Jwt:Issuer</c>), and <c>Host.CORS</c> /
/// <c>Host.CORSCredentials</c> become <c>Host:CORS</c> / <c>Host:CORSCredentials</c>. It sits below
/// environment variables, which override it.
/// </summary>
internal static class LocalSettings
{
    public static IConfigurationBuilder AddLocalSettingsFile(this IConfigurationManager configuration, string path)
    {
        if (!File.Exists(path))
        {
            return configuration;
        }

        var settings = Read(path);
        // Index 0: lowest precedence, under environment variables and the command line.
        configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource { InitialData = settings });
        return configuration;
    }

    internal static Dictionary<string, string?> Read(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var root = document.RootElement;
        if (root.TryGetProperty("Values", out var values) && values.ValueKind == JsonValueKind.Object)
        {
            foreach (var value in values.EnumerateObject())
            {
                settings[value.Name.Replace("__", ":", StringComparison.Ordinal)] = AsString(value.Value);
            }
        }

        if (root.TryGetProperty("Host", out var host) && host.ValueKind == JsonValueKind.Object)
        {
            foreach (var value in host.EnumerateObject())
            {
                settings["Host:" + value.Name] = AsString(value.Value);
            }
        }

        return settings;
    }

    private static string? AsString(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Null => null,
        _ => value.GetRawText(),
    };
}
