using Serverless.Testing;

namespace Serverless.Infra.Tests;

/// <summary>
/// The README and the documents in docs/ do not contradict the template's default signing. (Their links are
/// DocsLinkTests'.)
/// </summary>
public sealed class ReadmeTests
{
    public static TheoryData<string> Documents()
    {
        var documents = new TheoryData<string> { "README.md" };
        foreach (var file in Directory.EnumerateFiles(RepoPaths.Combine("docs"), "*.md", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            documents.Add(Path.GetRelativePath(RepoPaths.Root, file).Replace('\\', '/'));
        }

        return documents;
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public void TokenSigningIsNotDescribedAsHs256Only(string document) =>
        Assert.DoesNotMatch(@"\(HS256 only|an HS256 JWT", File.ReadAllText(RepoPaths.Combine(document)));
}
