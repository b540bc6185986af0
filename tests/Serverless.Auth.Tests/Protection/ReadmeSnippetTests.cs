using System.Text.RegularExpressions;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Protection;

/// <summary>
/// The documents' C# snippets for using the library, protecting endpoints and the extension points (docs/library.md,
/// docs/extension-points.md; once README sections) are compiled: each of their lines is a line of code this test
/// project (or the sample) compiles and runs, so a snippet that stops compiling fails here.
/// </summary>
public sealed partial class ReadmeSnippetTests
{
    /// <param name="document">A file under docs/.</param>
    /// <param name="heading">A <c>## </c> section of it, up to the next one (or the end); null: the whole document.</param>
    [Theory]
    [InlineData("library.md", "Use it as a library")]
    [InlineData("library.md", "Protect your own endpoints")]
    [InlineData("extension-points.md", null)]
    public void EveryLineOfTheSectionsSnippetsIsCompiledCode(string document, string? heading)
    {
        var text = File.ReadAllText(RepoPaths.Combine("docs", document));
        var section = heading is null ? text : Regex.Match(text, $@"^## {Regex.Escape(heading)}\n.*?(?=^## |\z)", RegexOptions.Multiline | RegexOptions.Singleline).Value;
        Assert.True(section.Length > 0, $"docs/{document} has no \"## {heading}\" section");
        var snippets = SnippetPattern().Matches(section).Select(m => m.Groups["code"].Value).ToList();
        Assert.NotEmpty(snippets);

        var compiled = new[]
            {
                RepoPaths.Combine("tests", "Serverless.Auth.Tests", "Protection", "SessionAuthenticationTests.cs"),
                RepoPaths.Combine("samples", "Serverless.Samples", "SampleApi.cs"),
                RepoPaths.Combine("functions", "Serverless.Functions", "Samples", "SampleFunctions.cs"),
                RepoPaths.Combine("functions", "Serverless.Functions", "Program.cs"),
                RepoPaths.Combine("tests", "Serverless.Auth.Tests", "Protection", "FunctionsMiddlewareTests.cs"),
                RepoPaths.Combine("tests", "Serverless.Auth.Tests", "Packaging", "LibraryApp", "Program.cs"),
                RepoPaths.Combine("tests", "Serverless.Auth.Tests", "Email", "MailSenderSeamTests.cs"),
                RepoPaths.Combine("tests", "Serverless.Auth.Tests", "Events", "AuthEventTests.cs"),
            }
            .SelectMany(File.ReadAllLines)
            .Select(line => line.Trim())
            .ToHashSet(StringComparer.Ordinal);
        foreach (var line in snippets.SelectMany(s => s.Split('\n')).Select(l => l.Trim()).Where(l => l.Length > 0))
        {
            Assert.True(compiled.Contains(line), $"docs/{document} snippet line is not compiled anywhere: {line}");
        }
    }

    [GeneratedRegex(@"```csharp\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex SnippetPattern();
}
