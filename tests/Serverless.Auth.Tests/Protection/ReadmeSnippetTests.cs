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
        var sections = SectionPattern().Matches(readme);
        Assert.Equal(2, sections.Count);
        var snippets = sections.SelectMany(section => SnippetPattern().Matches(section.Value)).Select(m => m.Groups["code"].Value).ToList();
        Assert.True(snippets.Count >= 4, "README's library and protection sections lost their snippets");

        var compiled = new[]
            {
                RepoPaths.Combine("tests", "Serverless.Auth.Tests", "Protection", "SessionAuthenticationTests.cs"),
                RepoPaths.Combine("samples", "Serverless.Samples", "SampleApi.cs"),
                RepoPaths.Combine("functions", "Serverless.Functions", "Samples", "SampleFunctions.cs"),
                RepoPaths.Combine("functions", "Serverless.Functions", "Program.cs"),
                RepoPaths.Combine("tests", "Serverless.Auth.Tests", "Protection", "FunctionsMiddlewareTests.cs"),
                RepoPaths.Combine("tests", "Serverless.Auth.Tests", "Packaging", "LibraryApp", "Program.cs"),
            }
            .SelectMany(File.ReadAllLines)
            .Select(line => line.Trim())
            .ToHashSet(StringComparer.Ordinal);
        foreach (var line in snippets.SelectMany(s => s.Split('\n')).Select(l => l.Trim()).Where(l => l.Length > 0))
        {
            Assert.True(compiled.Contains(line), $"README snippet line is not compiled anywhere: {line}");
        }
    }

    [GeneratedRegex(@"^## (Use it as a library|Protect your own endpoints)\n.*?(?=^## )", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex SectionPattern();

    [GeneratedRegex(@"```csharp\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex SnippetPattern();
}
