using System.Text.RegularExpressions;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Protection;

/// <summary>
/// The README's C# snippets for protecting endpoints and for the extension points are compiled: each of their lines is
/// a line of code this test project (or the sample) compiles and runs, so a snippet that stops compiling fails here.
/// </summary>
public sealed partial class ReadmeSnippetTests
{
    [Theory]
    [InlineData("Use it as a library")]
    [InlineData("Protect your own endpoints")]
    [InlineData("Extension points")]
    public void EveryLineOfTheSectionsSnippetsIsCompiledCode(string heading)
    {
        var readme = File.ReadAllText(RepoPaths.Combine("README.md"));
        var section = Regex.Match(readme, $@"^## {Regex.Escape(heading)}\n.*?(?=^## )", RegexOptions.Multiline | RegexOptions.Singleline);
        Assert.True(section.Success, $"README has no \"## {heading}\" section");
        var snippets = SnippetPattern().Matches(section.Value).Select(m => m.Groups["code"].Value).ToList();
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
            Assert.True(compiled.Contains(line), $"README snippet line is not compiled anywhere: {line}");
        }
    }

    [GeneratedRegex(@"```csharp\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex SnippetPattern();
}
