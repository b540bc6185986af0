using Serverless.Testing;
using Serverless.Testing.Docs;

namespace Serverless.Infra.Tests;

/// <summary>
/// Every relative link in README.md and docs/ leads somewhere: the file (or folder) exists, relative to the linking
/// file, and an anchor names a heading of the target (GitHub's slugs). Web and mail links, and links inside code, are not
/// followed.
/// </summary>
public sealed class DocsLinkTests
{
    [Fact]
    public void EveryRelativeLinkAndAnchorResolves()
    {
        var files = new List<string> { RepoPaths.Combine("README.md") };
        var docs = RepoPaths.Combine("docs");
        if (Directory.Exists(docs))
        {
            files.AddRange(Directory.EnumerateFiles(docs, "*.md", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
        }

        var broken = files.SelectMany(file => BrokenLinks(file, File.ReadAllText(file), RealFiles)).ToList();

        Assert.True(broken.Count == 0, $"Broken links:\n{string.Join("\n", broken)}");
    }

    [Theory]
    [InlineData("Two-factor sign-in (TOTP)", "two-factor-sign-in-totp")]
    [InlineData("My cookie isn't stored / isn't sent", "my-cookie-isnt-stored--isnt-sent")]
    [InlineData("Verify our tokens in your own API", "verify-our-tokens-in-your-own-api")]
    [InlineData("`Auth__Jwt__*`: access tokens", "auth__jwt__-access-tokens")]
    [InlineData("**Bold** and _emphasis_ and a [link](other.md)", "bold-and-emphasis-and-a-link")]
    [InlineData("Discovery document (issuer, jwks_uri)", "discovery-document-issuer-jwks_uri")]
    [InlineData("The provider's return (redirect URI)", "the-providers-return-redirect-uri")]
    [InlineData("Ünïcode — letters stay", "ünïcode--letters-stay")]
    public void SlugsAreGitHubs(string heading, string slug) =>
        Assert.Equal(slug, Markdown.Slug(heading));

    [Fact]
    public void RepeatedHeadingsAreNumbered() =>
        Assert.Equal(["details", "details-1", "other", "details-2"], Markdown.UniqueSlugs(["Details", "Details", "Other", "Details"]));

    [Fact]
    public void HeadingsInCodeBlocksAreNone()
    {
        const string Document = "# Title\n\n```bash\n# a comment, not a heading\n```\n\nSetext\n------\n\n## Closed ##\n";

        Assert.Equal(["Title", "Setext", "Closed"], Markdown.Headings(Document));
    }

    [Fact]
    public void ABrokenLinkIsReported()
    {
        var root = Path.Combine(Path.GetTempPath(), "docs-link-check");
        var readme = Path.Combine(root, "README.md");
        var files = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [readme] = """
                # Readme

                ## Getting started

                [ok](#getting-started), [ok](docs/a.md), [ok](docs/a.md#a-heading), [ok](docs/a.md "title"), [ok](docs/)
                [missing anchor](#nowhere) and [missing file](docs/missing.md) and [bad anchor](docs/a.md#no-such-heading)
                ![missing image](images/none.png) [web](https://example.com/x#y) [mail](mailto:a@example.com)
                `[in code](nowhere.md)`

                ```markdown
                [in a fence](nowhere.md)
                ```

                [ref]: docs/gone.md
                """,
            [Path.Combine(root, "docs", "a.md")] = "# A heading\n\n[back](../README.md#readme) [up](../README.md#getting-started) [wrong](README.md)\n",
        };

        var broken = files.SelectMany(file => BrokenLinks(file.Key, file.Value, InMemory(files))).ToList();

        Assert.Equal(
        [
            "README.md:6: #nowhere (no heading with that anchor in README.md)",
            "README.md:6: docs/missing.md (no such file)",
            "README.md:6: docs/a.md#no-such-heading (no heading with that anchor in docs/a.md)",
            "README.md:7: images/none.png (no such file)",
            "README.md:14: docs/gone.md (no such file)",
            "docs/a.md:3: README.md (no such file)",
        ], broken.Select(line => line.Replace(root + Path.DirectorySeparatorChar, "", StringComparison.Ordinal).Replace('\\', '/')));
    }

    /// <summary>What a check can see of the file system: whether a path is a file or a folder, and a file's text.</summary>
    private sealed record FileSystem(Func<string, bool> IsFile, Func<string, bool> IsDirectory, Func<string, string> Read);

    private static readonly FileSystem RealFiles = new(File.Exists, Directory.Exists, File.ReadAllText);

    private static FileSystem InMemory(IReadOnlyDictionary<string, string> files) => new(
        files.ContainsKey,
        path => files.Keys.Any(file => file.StartsWith(path.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal)),
        path => files[path]);

    /// <summary>The links of one file that lead nowhere, as <c>file:line: target (why)</c> with the file relative to the repository.</summary>
    private static IEnumerable<string> BrokenLinks(string file, string text, FileSystem files)
    {
        var directory = Path.GetDirectoryName(file)!;
        foreach (var link in Markdown.Links(text))
        {
            if (IsExternal(link.Target))
            {
                continue;
            }

            var hash = link.Target.IndexOf('#', StringComparison.Ordinal);
            var pathPart = Uri.UnescapeDataString(hash < 0 ? link.Target : link.Target[..hash]);
            var anchor = hash < 0 ? null : Uri.UnescapeDataString(link.Target[(hash + 1)..]);
            var target = pathPart.Length == 0 ? file : Path.GetFullPath(Path.Combine(directory, pathPart.Replace('/', Path.DirectorySeparatorChar)));
            var where = $"{Relative(file)}:{link.Line}: {link.Target}";
            if (!files.IsFile(target) && !files.IsDirectory(target))
            {
                yield return $"{where} (no such file)";
            }
            else if (anchor is { Length: > 0 } && files.IsFile(target) && target.EndsWith(".md", StringComparison.OrdinalIgnoreCase)
                     && !Markdown.Anchors(target == file ? text : files.Read(target)).Contains(anchor))
            {
                yield return $"{where} (no heading with that anchor in {Relative(target)})";
            }
        }
    }

    private static bool IsExternal(string target) =>
        target.Length == 0
        || target.StartsWith("//", StringComparison.Ordinal)
        || (target.IndexOf(':', StringComparison.Ordinal) is > 1 and var colon && target[..colon].All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.'));

    private static string Relative(string path) =>
        path.StartsWith(RepoPaths.Root, StringComparison.Ordinal) ? Path.GetRelativePath(RepoPaths.Root, path).Replace('\\', '/') : path;
}
