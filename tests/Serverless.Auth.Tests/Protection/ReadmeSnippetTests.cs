using System.Text.RegularExpressions;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Protection;

/// <summary>
/// The README's C# snippets for protecting endpoints are compiled: each of their lines is a line of code this test
/// project (or the sample) compiles and runs, so a snippet that stops compiling fails here.
/// </summary>
public sealed partial class ReadmeSnippetTests
{
    [Fact]
    public void EveryLineOfTheProtectionSnippetsIsCompiledCode()
    {
        var readme = File.ReadAllText(RepoPaths.Combine("README.md"));
        var section = SectionPattern().Match(readme);
        Assert.True(section.Success, "README has no \"## Protect your own endpoints\" section");
        var snippets = SnippetPattern().Matches(section.Value).Select(m => m.Groups["code"].Value).ToList();
        Assert.NotEmpty(snippets);

        var compiled = new[]
            {
                RepoPaths.Combine("tests", "Serverless.Auth.Tests", "Protection", "SessionAuthenticationTests.cs"),
                RepoPaths.Combine("samples", "Serverless.Samples", "SampleApi.cs"),
                RepoPaths.Combine("functions", "Serverless.Functions", "Samples", "SampleFunctions.cs"),
                RepoPaths.Combine("functions", "Serverless.Functions", "Program.cs"),
                RepoPaths.Combine("tests", "Serverless.Auth.Tests", "Protection", "FunctionsMiddlewareTests.cs"),
            }
            .SelectMany(File.ReadAllLines)
            .Select(line => line.Trim())
            .ToHashSet(StringComparer.Ordinal);
        foreach (var line in snippets.SelectMany(s => s.Split('\n')).Select(l => l.Trim()).Where(l => l.Length > 0))
        {
            Assert.True(compiled.Contains(line), $"README snippet line is not compiled anywhere: {line}");
        }
    }

    [GeneratedRegex(@"^## Protect your own endpoints\n.*?(?=^## )", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex SectionPattern();

    [GeneratedRegex(@"```csharp\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex SnippetPattern();
}
