using System.Text.RegularExpressions;
using Serverless.Testing;

namespace Serverless.Infra.Tests;

/// <summary>The README as a reader follows it: its in-page links land on a heading, and it does not contradict the template's default signing.</summary>
public sealed partial class ReadmeTests
{
    private static readonly string Text = File.ReadAllText(RepoPaths.Combine("README.md"));

    [Fact]
    public void EveryInPageLinkNamesAHeading()
    {
        // GitHub's anchor for a heading: lower case, punctuation dropped, each space a hyphen.
        var anchors = Heading().Matches(Text)
            .Select(match => string.Concat(match.Groups["text"].Value.ToLowerInvariant().Where(c => char.IsLetterOrDigit(c) || c is ' ' or '-' or '_')).Replace(' ', '-'))
            .ToHashSet(StringComparer.Ordinal);
        var links = InPageLink().Matches(Text).Select(match => match.Groups["anchor"].Value).Distinct().ToList();

        Assert.NotEmpty(links);
        Assert.Equal([], links.Where(anchor => !anchors.Contains(anchor)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void TokenSigningIsNotDescribedAsHs256Only() =>
        Assert.DoesNotMatch(@"\(HS256 only|an HS256 JWT", Text);

    [GeneratedRegex(@"(?m)^#{1,6} (?<text>.+)$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"\]\(#(?<anchor>[^)]+)\)")]
    private static partial Regex InPageLink();
}
