using System.Text;

namespace Serverless.Auth.Passwords;

/// <summary>Rule (d): a dictionary entry dressed up with cheap digits and symbols, which attackers try early.</summary>
internal static class CommonPasswordWithAdditions
{
    /// <summary>
    /// True when stripping a cheap non-letter prefix and suffix leaves exactly a dictionary entry, or that entry
    /// repeated (<c>password12345678</c>, <c>!!!dragon2024!!!</c>, <c>dragondragon1234</c>).
    /// </summary>
    public static bool Matches(CodePoints text)
    {
        var values = text.Values;
        var n = values.Length;
        var lead = 0;
        while (lead < n && !Rune.IsLetter(new Rune(values[lead])))
        {
            lead++;
        }

        var trail = n;
        while (trail > lead && !Rune.IsLetter(new Rune(values[trail - 1])))
        {
            trail--;
        }

        if (lead == n)
        {
            return false; // no letters, no word: digits and symbols alone are judged as patterns
        }

        var suffixBits = new double[n + 1];
        for (var j = trail; j <= n; j++)
        {
            suffixBits[j] = GuessEstimator.Bits(values.AsSpan(j));
        }

        for (var i = 0; i <= lead; i++)
        {
            var prefixBits = GuessEstimator.Bits(values.AsSpan(0, i));
            if (prefixBits > GuessEstimator.GuessableBits)
            {
                continue;
            }

            int[]? prefix = null;
            for (var j = trail; j <= n; j++)
            {
                if ((i == 0 && j == n) || prefixBits + suffixBits[j] > GuessEstimator.GuessableBits)
                {
                    continue;
                }

                var middle = text.Slice(i, j);
                if (middle.Length <= CommonPasswords.MaxEntryLength && CommonPasswords.Contains(middle))
                {
                    return true;
                }

                prefix ??= PrefixFunction.Of(values.AsSpan(i));
                var length = j - i;
                var period = length - prefix[length - 1];
                if (period < length && length % period == 0 && CommonPasswords.Contains(text.Slice(i, i + period)))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
