namespace Serverless.Auth.Passwords;

/// <summary>
/// A folded string as code points, with each code point's offset in the string, so the checks can scan whole
/// characters (an emoji is one) and still look slices up in the dictionary without copying.
/// </summary>
internal sealed class CodePoints
{
    private readonly string text;
    private readonly int[] offsets;

    public CodePoints(string text)
    {
        this.text = text;
        var values = new List<int>(text.Length);
        var offsets = new List<int>(text.Length + 1);
        var offset = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            values.Add(rune.Value);
            offsets.Add(offset);
            offset += rune.Utf16SequenceLength;
        }

        offsets.Add(offset);
        Values = [.. values];
        this.offsets = [.. offsets];
    }

    public int[] Values { get; }

    /// <summary>Code points [start, end) as characters.</summary>
    public ReadOnlySpan<char> Slice(int start, int end) => text.AsSpan(offsets[start], offsets[end] - offsets[start]);

    public static bool IsAsciiDigit(int codePoint) => codePoint is >= '0' and <= '9';

    /// <summary>Lower case only: the checks see folded text.</summary>
    public static bool IsAsciiLetter(int codePoint) => codePoint is >= 'a' and <= 'z';
}
