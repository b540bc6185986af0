namespace Serverless.Auth.Passwords;

/// <summary>
/// A rough, conservative-low estimate of the bits an attacker needs for a folded password: each run of trivial
/// steps costs its first character plus a few bits, a following run starting next to the previous run's start
/// costs almost nothing (<c>1qaz2wsx</c>), years and dates cost what a date costs, and any other character costs
/// log2 of its class size.
/// </summary>
internal static class GuessEstimator
{
    /// <summary>
    /// Rough guess budget, in bits: a password made only of patterns below it is refused, and so is a dictionary
    /// entry or context word with additions below it.
    /// </summary>
    public const double GuessableBits = 32;

    /// <summary>Runs of trivial steps count from this many characters; shorter ones are priced per character.</summary>
    private const int MinRunLength = 3;

    /// <summary>What a change of direction inside a run costs: about log2 of the ways a walk can turn.</summary>
    private const double TurnBits = 2.6;

    public static double Bits(ReadOnlySpan<int> text) => Bits(text, dates: true);

    private static double Bits(ReadOnlySpan<int> text, bool dates)
    {
        double bits = 0;
        int previousRun = -1, previousRunLength = 0, previousRunEnd = -1;
        for (var i = 0; i < text.Length;)
        {
            if (dates && CodePoints.IsAsciiDigit(text[i]) && (i == 0 || !CodePoints.IsAsciiDigit(text[i - 1])))
            {
                var digitsEnd = i;
                while (digitsEnd < text.Length && CodePoints.IsAsciiDigit(text[digitsEnd]))
                {
                    digitsEnd++;
                }

                if (DateDigits.Bits(text[i..digitsEnd]) is { } dateBits)
                {
                    // A date that is also a cheap run (111111) costs the cheaper of the two.
                    bits += Math.Min(dateBits, Bits(text[i..digitsEnd], dates: false));
                    previousRun = -1;
                    i = digitsEnd;
                    continue;
                }
            }

            var (end, turns) = TrivialSteps.Run(text, i);
            var length = end - i;
            if (length >= MinRunLength)
            {
                var repeatsShape = previousRun >= 0 && previousRunLength == length
                    && (previousRunEnd == i || (previousRunEnd == i - 1 && IsSeparator(text[i - 1])))
                    && TrivialSteps.IsTrivial(text[previousRun], text[i]) && TrivialSteps.SameShape(text, previousRun, i, length);
                bits += repeatsShape ? 2 : CharBits(text[i]) + 1 + Math.Log2(length) + (TurnBits * turns);
                (previousRun, previousRunLength, previousRunEnd) = (i, length, end);
                i = end;
            }
            else
            {
                // A separator right after a run ("aaa bbb ccc") is nearly free; anything else costs its class.
                bits += previousRunEnd == i && IsSeparator(text[i]) ? 1 : CharBits(text[i]);
                i++;
            }
        }

        return bits;
    }

    /// <summary>log2 of the size of the character's class: digits, lower-case letters, printable ASCII, the rest.</summary>
    private static double CharBits(int c) => c switch
    {
        >= '0' and <= '9' => 3.32,
        >= 'a' and <= 'z' => 4.7,
        >= 0x20 and <= 0x7E => 5.0,
        _ => 6.0,
    };

    private static bool IsSeparator(int c) => c is ' ' or '-' or '_' or '.' || (c <= 0xFFFF && char.IsWhiteSpace((char)c));
}
