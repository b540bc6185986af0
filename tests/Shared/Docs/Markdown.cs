using System.Text;
using System.Text.RegularExpressions;

namespace Serverless.Testing.Docs;

/// <summary>One link of a markdown document: its target as written, and the line it is on (1-based).</summary>
public sealed record MarkdownLink(string Target, int Line);

/// <summary>
/// The parts of GitHub-flavoured markdown the documentation checks need: headings and their anchors (GitHub's slugs),
/// and the links a reader can follow, both outside fenced code blocks.
/// </summary>
public static partial class Markdown
{
    /// <summary>
    /// GitHub's anchor for a heading's text: the rendered text (inline code without its backticks, emphasis, links and
    /// HTML tags reduced to their text) in lower case, every character but letters, digits, <c>-</c>, <c>_</c> and spaces
    /// dropped, each space a hyphen.
    /// </summary>
    public static string Slug(string heading)
    {
        var text = Rendered(heading).ToLowerInvariant();
        var slug = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (char.IsLetterOrDigit(c) || c is '-' or '_')
            {
                slug.Append(c);
            }
            else if (c == ' ')
            {
                slug.Append('-');
            }
        }

        return slug.ToString();
    }

    /// <summary>The headings of a document (ATX and setext), in order, outside fenced code blocks.</summary>
    public static IReadOnlyList<string> Headings(string document)
    {
        var headings = new List<string>();
        var lines = Lines(document);
        for (var i = 0; i < lines.Count; i++)
        {
            if (lines[i].InFence)
            {
                continue;
            }

            var line = lines[i].Text;
            if (AtxHeading().Match(line) is { Success: true } atx)
            {
                headings.Add(atx.Groups["text"].Value.Trim());
            }
            else if (i + 1 < lines.Count && !lines[i + 1].InFence && SetextUnderline().IsMatch(lines[i + 1].Text)
                     && IsParagraphLine(line) && (i == 0 || string.IsNullOrWhiteSpace(lines[i - 1].Text)))
            {
                headings.Add(line.Trim());
                i++;
            }
        }

        return headings;
    }

    /// <summary>
    /// Every anchor a link may name in a document: each heading's slug, a repeated one with <c>-1</c>, <c>-2</c>… as GitHub
    /// numbers them, and the ids and names of HTML anchors.
    /// </summary>
    public static IReadOnlySet<string> Anchors(string document)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        foreach (var slug in UniqueSlugs(Headings(document)))
        {
            anchors.Add(slug);
        }

        foreach (var line in Lines(document).Where(line => !line.InFence))
        {
            foreach (Match match in HtmlAnchor().Matches(line.Text))
            {
                anchors.Add(match.Groups["id"].Value);
            }
        }

        return anchors;
    }

    /// <summary>The slugs of headings in document order, repeats numbered as GitHub does (<c>a</c>, <c>a-1</c>, <c>a-2</c>).</summary>
    public static IReadOnlyList<string> UniqueSlugs(IEnumerable<string> headings)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var slugs = new List<string>();
        foreach (var heading in headings)
        {
            var slug = Slug(heading);
            if (seen.TryGetValue(slug, out var count))
            {
                seen[slug] = count + 1;
                slug = $"{slug}-{count}";
            }
            else
            {
                seen[slug] = 1;
            }

            slugs.Add(slug);
        }

        return slugs;
    }

    /// <summary>
    /// The links of a document outside fenced code blocks and inline code: inline links and images
    /// (<c>[text](target "title")</c>), and reference definitions (<c>[id]: target</c>). Autolinks and bare URLs are left out.
    /// </summary>
    public static IReadOnlyList<MarkdownLink> Links(string document)
    {
        var links = new List<MarkdownLink>();
        var lines = Lines(document);
        for (var i = 0; i < lines.Count; i++)
        {
            if (lines[i].InFence)
            {
                continue;
            }

            var text = CodeSpan().Replace(lines[i].Text, match => new string(' ', match.Length));
            if (ReferenceDefinition().Match(text) is { Success: true } definition)
            {
                links.Add(new MarkdownLink(Unbracket(definition.Groups["target"].Value), i + 1));
                continue;
            }

            foreach (Match match in InlineLink().Matches(text))
            {
                links.Add(new MarkdownLink(Unbracket(match.Groups["target"].Value), i + 1));
            }
        }

        return links;
    }

    /// <summary>Replaces the text between <c>&lt;!-- generated:begin name --&gt;</c> and its end marker; throws when the markers are missing.</summary>
    public static string ReplaceGenerated(string document, string name, string generated)
    {
        var begin = $"<!-- generated:begin {name} -->";
        var end = $"<!-- generated:end {name} -->";
        var start = document.IndexOf(begin, StringComparison.Ordinal);
        var stop = document.IndexOf(end, StringComparison.Ordinal);
        if (start < 0 || stop < start)
        {
            throw new InvalidOperationException($"The document has no '{begin}' ... '{end}' markers: put them where the generated part goes.");
        }

        return document[..(start + begin.Length)] + "\n" + generated.TrimEnd('\n') + "\n" + document[stop..];
    }

    /// <summary>A markdown table cell: pipes escaped, line breaks as spaces.</summary>
    public static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings(" ");

    private static string Unbracket(string target) =>
        target.StartsWith('<') && target.EndsWith('>') ? target[1..^1] : target;

    /// <summary>The text a heading renders as: no code backticks, emphasis, link targets or HTML tags.</summary>
    private static string Rendered(string heading)
    {
        var parts = new StringBuilder();
        var last = 0;
        // Inline code keeps its content verbatim; emphasis and links are only looked for outside it.
        foreach (Match code in CodeSpan().Matches(heading))
        {
            parts.Append(RenderedOutsideCode(heading[last..code.Index]));
            parts.Append(code.Groups["code"].Value.Trim());
            last = code.Index + code.Length;
        }

        parts.Append(RenderedOutsideCode(heading[last..]));
        return parts.ToString();
    }

    private static string RenderedOutsideCode(string text)
    {
        text = ImageOrLink().Replace(text, match => match.Groups["text"].Value);
        text = HtmlTag().Replace(text, "");
        text = UnderscoreEmphasis().Replace(text, match => match.Groups["text"].Value);
        return text.Replace("*", "", StringComparison.Ordinal).Replace("\\", "", StringComparison.Ordinal);
    }

    private static bool IsParagraphLine(string line) =>
        !string.IsNullOrWhiteSpace(line) && !line.TrimStart().StartsWith('|') && !ListItem().IsMatch(line)
        && !line.TrimStart().StartsWith('>') && !line.TrimStart().StartsWith('<') && !line.StartsWith("    ", StringComparison.Ordinal);

    private sealed record Line(string Text, bool InFence);

    /// <summary>The document's lines, each marked when it belongs to a fenced code block (the fences included).</summary>
    private static List<Line> Lines(string document)
    {
        var lines = new List<Line>();
        string? fence = null;
        foreach (var text in document.ReplaceLineEndings("\n").Split('\n'))
        {
            if (fence is null && Fence().Match(text) is { Success: true } open)
            {
                fence = open.Groups["fence"].Value;
                lines.Add(new Line(text, true));
            }
            else if (fence is not null)
            {
                var close = Fence().Match(text);
                if (close.Success && close.Groups["fence"].Value[0] == fence[0] && close.Groups["fence"].Value.Length >= fence.Length
                    && string.IsNullOrWhiteSpace(close.Groups["info"].Value))
                {
                    fence = null;
                }

                lines.Add(new Line(text, true));
            }
            else
            {
                lines.Add(new Line(text, false));
            }
        }

        return lines;
    }

    [GeneratedRegex(@"^ {0,3}(?<fence>`{3,}|~{3,})(?<info>.*)$")]
    private static partial Regex Fence();

    [GeneratedRegex(@"^ {0,3}#{1,6}(?:[ \t]+(?<text>.*?))?(?:[ \t]+#+)?[ \t]*$")]
    private static partial Regex AtxHeading();

    [GeneratedRegex(@"^ {0,3}(?:=+|-+)[ \t]*$")]
    private static partial Regex SetextUnderline();

    [GeneratedRegex(@"^\s*(?:[-*+]|\d+[.)])\s")]
    private static partial Regex ListItem();

    [GeneratedRegex(@"(?<ticks>`+)(?<code>.+?)(?<!`)\k<ticks>(?!`)")]
    private static partial Regex CodeSpan();

    [GeneratedRegex(@"!?\[(?<text>[^\]]*)\]\([^)]*\)")]
    private static partial Regex ImageOrLink();

    [GeneratedRegex(@"<[^>]+>")]
    private static partial Regex HtmlTag();

    [GeneratedRegex(@"(?<![\p{L}\p{N}_])_+(?<text>[^_\s](?:[^_]*[^_\s])?)_+(?![\p{L}\p{N}_])")]
    private static partial Regex UnderscoreEmphasis();

    // [text](target) or [text](target "title"), the text possibly holding one level of brackets (a nested image).
    [GeneratedRegex(@"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*(?<target><[^>]*>|[^\s)]*)(?:\s+(?:""[^""]*""|'[^']*'|\([^)]*\)))?\s*\)")]
    private static partial Regex InlineLink();

    [GeneratedRegex(@"^ {0,3}\[[^\]]+\]:\s+(?<target><[^>]*>|\S+)")]
    private static partial Regex ReferenceDefinition();

    [GeneratedRegex(@"<a\s[^>]*?\b(?:id|name)\s*=\s*[""'](?<id>[^""']+)[""']", RegexOptions.IgnoreCase)]
    private static partial Regex HtmlAnchor();
}
