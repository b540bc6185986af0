using System.Text;

namespace Serverless.Auth.Passwords;

/// <summary>
/// Runs of trivial steps: repeated characters, sequences (<c>abcd</c>, <c>4321</c>, <c>αβγδ</c>) and walks over
/// neighbouring keys (<c>qwerty</c>, <c>1qaz</c>). They cost an attacker little however long they are.
/// </summary>
internal static class TrivialSteps
{
    /// <summary>
    /// How <paramref name="to"/> follows <paramref name="from"/> (<see cref="StepDirections.None"/>: not a trivial step):
    /// the same character, the next / previous digit or letter, or a neighbouring key on a QWERTY keyboard.
    /// </summary>
    public static StepDirections Between(int from, int to)
    {
        if (from == to)
        {
            return StepDirections.Same;
        }

        var directions = StepDirections.None;
        if (CodePoints.IsAsciiDigit(from) && CodePoints.IsAsciiDigit(to))
        {
            var step = (to - from + 10) % 10; // 8-9-0-1 wraps, as on the number row
            directions = step == 1 ? StepDirections.Next : step == 9 ? StepDirections.Previous : StepDirections.None;
        }
        else if (CodePoints.IsAsciiLetter(from) && CodePoints.IsAsciiLetter(to))
        {
            var step = (to - from + 26) % 26;
            directions = step == 1 ? StepDirections.Next : step == 25 ? StepDirections.Previous : StepDirections.None;
        }
        else if (from > 0x7F && to > 0x7F && Math.Abs(to - from) == 1 && Rune.IsLetter(new Rune(from)) && Rune.IsLetter(new Rune(to)))
        {
            // Other alphabets: consecutive code points (абвгд..., αβγδ...).
            directions = to > from ? StepDirections.Next : StepDirections.Previous;
        }

        return directions | QwertyKeyboard.Direction(from, to);
    }

    public static bool IsTrivial(int from, int to) => Between(from, to) != StepDirections.None;

    /// <summary>
    /// End (exclusive) of the run of trivial steps starting at <paramref name="start"/>, and its turns: a run keeps
    /// its heading while consecutive steps share a direction, otherwise it turns.
    /// </summary>
    public static (int End, int Turns) Run(ReadOnlySpan<int> text, int start)
    {
        var end = start + 1;
        var turns = 0;
        var heading = ~StepDirections.None;
        while (end < text.Length && Between(text[end - 1], text[end]) is var directions and not StepDirections.None)
        {
            if ((heading & directions) == StepDirections.None)
            {
                turns++;
                heading = directions;
            }
            else
            {
                heading &= directions;
            }

            end++;
        }

        return (end, turns);
    }

    /// <summary>True when runs [a, a+length) and [b, b+length) step the same ways (<c>1qaz</c> and <c>2wsx</c>).</summary>
    public static bool SameShape(ReadOnlySpan<int> text, int a, int b, int length)
    {
        for (var k = 1; k < length; k++)
        {
            if ((Between(text[a + k - 1], text[a + k]) & Between(text[b + k - 1], text[b + k])) == StepDirections.None)
            {
                return false;
            }
        }

        return true;
    }
}
