using System.Text;

namespace Serverless.Auth.Passwords;

/// <summary>Where a context word came from, so the user is told which one their password is too close to.</summary>
internal enum ContextSource
{
    Email,
    ServiceName,
}

/// <summary>
/// Rule (c): words from the user's email address and from the service name, which NIST SP 800-63B-4 asks to
/// refuse as context-specific words. A password is refused when what is left after removing them is cheap to guess.
/// </summary>
internal sealed class ContextWords(string? serviceName)
{
    private readonly string[] serviceWords = WordsIn(TextNormalization.Fold(serviceName ?? string.Empty));

    /// <summary>
    /// The context the folded password is built from, with only cheap additions; null when it is not.
    /// The email wins when both are used.
    /// </summary>
    public ContextSource? BuiltFrom(string folded, string canonicalEmail)
    {
        var emailWords = EmailWords(TextNormalization.Fold(canonicalEmail));
        if (emailWords.Length == 0 && serviceWords.Length == 0)
        {
            return null;
        }

        // Remove every occurrence of every context word (longest first); what is left must be worth something.
        var remainder = Compact(folded);
        bool email = false, service = false;
        foreach (var (word, isEmail) in emailWords.Select(word => (word, true)).Concat(serviceWords.Select(word => (word, false)))
                     .OrderByDescending(entry => entry.word.Length))
        {
            if (remainder.Contains(word, StringComparison.Ordinal))
            {
                remainder = remainder.Replace(word, string.Empty, StringComparison.Ordinal);
                email |= isEmail;
                service |= !isEmail;
            }
        }

        if ((!email && !service) || GuessEstimator.Bits(new CodePoints(remainder).Values) > GuessEstimator.GuessableBits)
        {
            return null;
        }

        return email ? ContextSource.Email : ContextSource.ServiceName;
    }

    /// <summary>The local part without any +tag, its name parts, and the domain's labels (not the top-level one).</summary>
    private static string[] EmailWords(string email)
    {
        var at = email.LastIndexOf('@');
        var local = at >= 0 ? email[..at] : email;
        var plus = local.IndexOf('+', StringComparison.Ordinal);
        if (plus > 0)
        {
            local = local[..plus];
        }

        var words = new List<string>(WordsIn(local));
        if (at >= 0)
        {
            var labels = email[(at + 1)..].Split('.');
            foreach (var label in labels.Take(labels.Length - 1))
            {
                words.AddRange(WordsIn(label));
            }
        }

        return [.. words.Distinct(StringComparer.Ordinal)];
    }

    /// <summary>The whole text without separators (3+ characters) and each run of letters in it (4+ letters).</summary>
    private static string[] WordsIn(string folded)
    {
        var words = new List<string>();
        var compact = Compact(folded);
        if (compact.EnumerateRunes().Count() >= 3)
        {
            words.Add(compact);
        }

        var letters = new StringBuilder();
        foreach (var rune in folded.EnumerateRunes().Append(new Rune(' ')))
        {
            if (Rune.IsLetter(rune))
            {
                letters.Append(rune.ToString());
                continue;
            }

            if (letters.Length >= 4)
            {
                words.Add(letters.ToString());
            }

            letters.Clear();
        }

        return [.. words.Distinct(StringComparer.Ordinal)];
    }

    /// <summary>Drops the separators people put between the parts of names and addresses.</summary>
    private static string Compact(string folded)
    {
        var builder = new StringBuilder(folded.Length);
        foreach (var c in folded)
        {
            if (!char.IsWhiteSpace(c) && c is not ('.' or '-' or '_' or '+' or '\''))
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}
