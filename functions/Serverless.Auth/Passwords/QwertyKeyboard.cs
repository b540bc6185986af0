namespace Serverless.Auth.Passwords;

/// <summary>QWERTY as zxcvbn models it: rows slanted, each key touching two keys above and two below.</summary>
internal static class QwertyKeyboard
{
    private const string Unshifted = "`1234567890-=[]\\;',./";
    private const string Shifted = "~!@#$%^&*()_+{}|:\"<>?";
    private static readonly string[] Rows = ["`1234567890-=", "qwertyuiop[]\\", "asdfghjkl;'", "zxcvbnm,./"];
    private static readonly int[] RowOffsets = [0, 1, 1, 1];
    private static readonly (int Row, int Column)[] Positions = BuildPositions();

    /// <summary>
    /// From key <paramref name="a"/> to a neighbouring key <paramref name="b"/>; <see cref="StepDirections.None"/>
    /// when they are not neighbours or not both on the keyboard.
    /// </summary>
    public static StepDirections Direction(int a, int b)
    {
        if (a is < 0 or > 0x7E || b is < 0 or > 0x7E)
        {
            return StepDirections.None;
        }

        var (rowA, columnA) = Positions[a];
        var (rowB, columnB) = Positions[b];
        if (rowA < 0 || rowB < 0)
        {
            return StepDirections.None;
        }

        return (rowB - rowA, columnB - columnA) switch
        {
            (0, 0) => StepDirections.Same, // the same key, shifted or not
            (0, -1) => StepDirections.KeyLeft,
            (0, 1) => StepDirections.KeyRight,
            (-1, 0) => StepDirections.KeyUpLeft,
            (-1, 1) => StepDirections.KeyUpRight,
            (1, -1) => StepDirections.KeyDownLeft,
            (1, 0) => StepDirections.KeyDownRight,
            _ => StepDirections.None,
        };
    }

    private static (int, int)[] BuildPositions()
    {
        var positions = Enumerable.Repeat((-1, -1), 0x7F).ToArray();
        for (var row = 0; row < Rows.Length; row++)
        {
            for (var i = 0; i < Rows[row].Length; i++)
            {
                positions[Rows[row][i]] = (row, i + RowOffsets[row]);
            }
        }

        for (var i = 0; i < Shifted.Length; i++)
        {
            positions[Shifted[i]] = positions[Unshifted[i]];
        }

        return positions;
    }
}
