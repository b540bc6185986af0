namespace Serverless.Auth.Passwords;

/// <summary>Rule (b): passwords that are trivial patterns, however long.</summary>
internal static class SimplePatterns
{
    /// <summary>
    /// One unit repeated (a period of at most half the length), or so much made of runs of repeated, sequential
    /// or neighbouring-key characters that it takes fewer than 2^<see cref="GuessEstimator.GuessableBits"/> guesses.
    /// </summary>
    public static bool Matches(ReadOnlySpan<int> text)
    {
        if (text.Length == 0)
        {
            return false;
        }

        var prefix = PrefixFunction.Of(text);
        return (text.Length - prefix[^1]) * 2 <= text.Length || GuessEstimator.Bits(text) < GuessEstimator.GuessableBits;
    }
}
