namespace Serverless.Auth.Passwords;

/// <summary>Years and dates: people add them to words, and an attacker tries them long before other digits.</summary>
internal static class DateDigits
{
    /// <summary>Bits for a digit run that reads as a year (1900-2099) or a 6 / 8 digit date; null otherwise.</summary>
    public static double? Bits(ReadOnlySpan<int> digits)
    {
        if (digits.Length is not (4 or 6 or 8))
        {
            return null;
        }

        static bool IsDay(int month, int day) => month is >= 1 and <= 12 && day is >= 1 and <= 31;
        static bool IsYear(int year) => year is >= 1900 and <= 2099;

        var d = digits.ToArray(); // digits only, at most a few
        int Number(int start, int count)
        {
            var value = 0;
            for (var k = start; k < start + count; k++)
            {
                value = (value * 10) + (d[k] - '0');
            }

            return value;
        }

        return d.Length switch
        {
            4 when IsYear(Number(0, 4)) => 7.6,
            6 when IsDay(Number(2, 2), Number(0, 2)) || IsDay(Number(0, 2), Number(2, 2)) || IsDay(Number(2, 2), Number(4, 2)) => 15.2,
            8 when (IsDay(Number(2, 2), Number(0, 2)) || IsDay(Number(0, 2), Number(2, 2))) && IsYear(Number(4, 4)) => 16.2,
            8 when IsYear(Number(0, 4)) && IsDay(Number(4, 2), Number(6, 2)) => 16.2,
            _ => null,
        };
    }
}
