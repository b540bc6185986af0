using System.Text.RegularExpressions;
using Serverless.Infra.Tests.Infrastructure;

namespace Serverless.Infra.Tests;

/// <summary>Every parameter is described and lowerCamelCase; main's parameters carry bounds.</summary>
public sealed partial class ParameterConventionTests(InfraFixture infra)
{
    [Fact]
    public void EveryParameterHasADescriptionAndALowerCamelCaseName()
    {
        var problems = infra.Template.All
            .SelectMany(template => template.Parameters.Select(parameter => (template.Path, parameter.Key, Parameter: parameter.Value!)))
            .SelectMany(p => new[]
            {
                LowerCamelCase().IsMatch(p.Key) ? null : $"{p.Path}: '{p.Key}' is not lowerCamelCase",
                string.IsNullOrWhiteSpace((string?)p.Parameter["metadata"]?["description"]) ? $"{p.Path}: '{p.Key}' has no @description" : null,
            })
            .OfType<string>()
            .ToList();

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void MainParametersCarryBoundsWhereTheyApply()
    {
        var problems = new List<string>();
        foreach (var (name, node) in infra.Template.Parameters)
        {
            var parameter = node!.AsObject();
            var bounded = parameter.Text("type").ToLowerInvariant() switch
            {
                "string" or "securestring" => parameter.ContainsKey("allowedValues") || parameter.ContainsKey("maxLength"),
                "int" => parameter.ContainsKey("allowedValues") || (parameter.ContainsKey("minValue") && parameter.ContainsKey("maxValue")),
                "array" => parameter.ContainsKey("minLength") && parameter.ContainsKey("maxLength"),
                "bool" => true,
                // An object's shape bounds it (a typed object, e.g. { *: string }), not a length.
                "object" or "secureobject" => parameter.ContainsKey("properties") || parameter.ContainsKey("additionalProperties"),
                var other => throw new Xunit.Sdk.XunitException($"Unexpected parameter type {other} for {name}"),
            };
            if (!bounded)
            {
                problems.Add($"{name} ({parameter.Text("type")}) has no bounds decorator");
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.Equal(1024, infra.Template.Parameters.At("jwtSigningKeys", "maxLength").GetValue<int>()); // the 44-character minimum is checkedSecret's (empty is allowed)
        Assert.Equal(1024, infra.Template.Parameters.At("serverKey", "maxLength").GetValue<int>());
    }

    [GeneratedRegex("^[a-z][a-zA-Z0-9]*$")]
    private static partial Regex LowerCamelCase();
}
