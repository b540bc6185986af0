using System.Globalization;
using System.Text;

namespace Serverless.Auth.Cookies;

/// <summary>
/// The Public Suffix List (psl 1.15.0's copy; MPL-2.0, see public-suffix-list.LICENSE.txt), loaded once
/// from the embedded resource. Answers one question: is a domain a public suffix itself (so a cookie
/// with that <c>Domain</c> would be sent to every site registered under it)?
/// </summary>
internal static class PublicSuffixes
{
    private const string ResourceName = "Serverless.Auth.Cookies.public-suffix-list.txt";
    private static readonly IdnMapping Idn = new() { UseStd3AsciiRules = true };
    private static readonly Lazy<Rules> List = new(Load);

    public static int Count => List.Value.Count;

    /// <summary>
    /// True when <paramref name="domain"/> is a public suffix (com, co.uk, azurewebsites.net) or no
    /// registrable domain at all (a single label such as localhost: the PSL's default rule <c>*</c>).
    /// Rules as publicsuffix.org defines them: the longest matching rule wins, <c>*.x</c> matches one
    /// label under x, and an exception <c>!y.x</c> makes y.x registrable.
    /// </summary>
    public static bool IsPublicSuffix(string domain)
    {
        var ascii = ToAscii(domain.Trim().TrimStart('.'));
        if (ascii is null)
        {
            return true;
        }

        var labels = ascii.Split('.');
        return SuffixLabelCount(labels, List.Value) >= labels.Length;
    }

    private static int SuffixLabelCount(string[] labels, Rules rules)
    {
        // The default rule "*": the last label is a public suffix.
        var longest = 1;
        for (var i = 0; i < labels.Length; i++)
        {
            var suffix = string.Join('.', labels[i..]);
            if (rules.Exceptions.Contains(suffix))
            {
                return labels.Length - i - 1;
            }

            if (rules.Exact.Contains(suffix))
            {
                longest = Math.Max(longest, labels.Length - i);
            }

            if (i > 0 && rules.Wildcards.Contains(suffix))
            {
                longest = Math.Max(longest, labels.Length - i + 1);
            }
        }

        return longest;
    }

    private static string? ToAscii(string domain)
    {
        if (domain.Length == 0 || domain.EndsWith('.'))
        {
            return null;
        }

        try
        {
            return Idn.GetAscii(domain).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static Rules Load()
    {
        using var stream = typeof(PublicSuffixes).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"Embedded resource {ResourceName} is missing from {typeof(PublicSuffixes).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var rules = new Rules();
        while (reader.ReadLine() is { } line)
        {
            var rule = line.Trim();
            if (rule.Length == 0 || rule.StartsWith("//", StringComparison.Ordinal))
            {
                continue;
            }

            rules.Count++;
            if (rule.StartsWith('!'))
            {
                rules.Exceptions.Add(ToAscii(rule[1..]) ?? throw BadRule(rule));
            }
            else if (rule.StartsWith("*.", StringComparison.Ordinal))
            {
                rules.Wildcards.Add(ToAscii(rule[2..]) ?? throw BadRule(rule));
            }
            else
            {
                rules.Exact.Add(ToAscii(rule) ?? throw BadRule(rule));
            }
        }

        return rules;
    }

    private static InvalidOperationException BadRule(string rule) => new($"{ResourceName} holds a rule that is not a domain: {rule}");

    private sealed class Rules
    {
        public HashSet<string> Exact { get; } = new(StringComparer.Ordinal);
        public HashSet<string> Wildcards { get; } = new(StringComparer.Ordinal);
        public HashSet<string> Exceptions { get; } = new(StringComparer.Ordinal);
        public int Count { get; set; }
    }
}
