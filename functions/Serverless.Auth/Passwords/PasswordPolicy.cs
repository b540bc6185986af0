using System.Text;
using Microsoft.Extensions.Options;

namespace Serverless.Auth.Passwords;

/// <summary>
/// Decides whether a new password is acceptable (NIST SP 800-63B-4) and answers with the reason when not.
/// Length is counted in code points after NFKC, whitespace kept, no composition rules. After NFKC and case
/// folding a password is refused when it is (a) in the common-password dictionary of @zxcvbn-ts/language-common,
/// (b) a trivial pattern — one unit repeated, or mostly runs of repeated, sequential or neighbouring-key characters,
/// (c) built from the email address or the service name with only cheap additions, or (d) a dictionary entry
/// with only cheap digits / symbols around it. Everything is a set lookup or a linear scan: no regular expressions.
/// </summary>
internal sealed class PasswordPolicy(IOptions<PasswordOptions> options)
{
    public const string TooCommon = "This password is on a list of commonly used passwords.";
    public const string CommonWithAdditions = "This password is a commonly used password with only digits or symbols added.";
    public const string SimplePattern = "This password is a simple pattern (repeated or sequential characters, or a keyboard walk).";
    public const string TooCloseToEmail = "This password is too close to your email address.";
    public const string TooCloseToServiceName = "This password is too close to the name of this service.";
    public const string NotValidText = "Password contains characters that are not valid text.";

    /// <summary>
    /// Rough guess budget, in bits (see <see cref="EstimateBits(ReadOnlySpan{int})"/>): a password made only of
    /// patterns below it is refused, and so is a dictionary entry or context word with additions below it.
    /// </summary>
    private const double GuessableBits = 32;

    /// <summary>A step inside a run: repeat, ±1 sequence or neighbouring key. Runs start at this many characters.</summary>
    private const int MinRunLength = 3;

    /// <summary>What a change of direction inside a run costs: about log2 of the ways a walk can turn.</summary>
    private const double TurnBits = 2.6;

    private readonly PasswordOptions options = options.Value;
    private readonly string[] serviceWords = ContextWords(Fold(options.Value.ServiceName ?? string.Empty));

    /// <summary>Length in code points after NFKC, as NIST counts it (an emoji is one character, not two UTF-16 units).</summary>
    public static int LengthOf(string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        return Normalize(password).Length;
    }

    /// <summary>
    /// NFKC and its length in code points. Unpaired surrogates cannot be normalized: such text stays as it is
    /// and each one counts as one (replacement) character.
    /// </summary>
    private static (string Text, int Length, bool WellFormed) Normalize(string password)
    {
        var wellFormed = IsWellFormed(password);
        var text = wellFormed ? password.Normalize(NormalizationForm.FormKC) : password;
        return (text, text.EnumerateRunes().Count(), wellFormed);
    }

    /// <summary>
    /// Too long to be any acceptable password. Signup (<see cref="Check"/>) and login use this same test, so a
    /// password accepted once is never refused later. The raw-length bound caps normalization work.
    /// </summary>
    public bool IsTooLong(string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        return IsTooLongToNormalize(password) || LengthOf(password) > options.MaxLength;
    }

    private bool IsTooLongToNormalize(string password) => password.Length > options.MaxLength * 4;

    /// <summary>Null when acceptable, else a message a user can act on. Never echoes the password.</summary>
    public string? Check(string password, string normalizedEmail)
    {
        ArgumentNullException.ThrowIfNull(password);
        // The same tests as IsTooLong, with the one normalization the rest of the checks use.
        var tooLong = $"Password must be at most {options.MaxLength} characters.";
        if (IsTooLongToNormalize(password))
        {
            return tooLong;
        }

        var (normalized, length, wellFormed) = Normalize(password);
        if (length > options.MaxLength)
        {
            return tooLong;
        }

        if (!wellFormed)
        {
            return NotValidText;
        }

        if (length < options.MinLength)
        {
            return $"Password must be at least {options.MinLength} characters.";
        }

        var folded = normalized.ToLowerInvariant();
        if (CommonPasswords.Contains(folded))
        {
            return TooCommon;
        }

        if (CloseToContext(folded, normalizedEmail ?? string.Empty) is { } contextProblem)
        {
            return contextProblem;
        }

        var text = new CodePoints(folded);
        if (IsSimplePattern(text.Values))
        {
            return SimplePattern;
        }

        return IsCommonWithAdditions(text) ? CommonWithAdditions : null;
    }

    // ---- (c) context: email address and service name -------------------------------------------------------

    private string? CloseToContext(string folded, string normalizedEmail)
    {
        var emailWords = EmailWords(Fold(normalizedEmail));
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

        if ((!email && !service) || EstimateBits(new CodePoints(remainder).Values) > GuessableBits)
        {
            return null;
        }

        return email ? TooCloseToEmail : TooCloseToServiceName;
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

        var words = new List<string>(ContextWords(local));
        if (at >= 0)
        {
            var labels = email[(at + 1)..].Split('.');
            foreach (var label in labels.Take(labels.Length - 1))
            {
                words.AddRange(ContextWords(label));
            }
        }

        return [.. words.Distinct(StringComparer.Ordinal)];
    }

    /// <summary>The whole text without separators (3+ characters) and each run of letters in it (4+ letters).</summary>
    private static string[] ContextWords(string folded)
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

    private static string Fold(string text) =>
        IsWellFormed(text) ? text.Normalize(NormalizationForm.FormKC).ToLowerInvariant() : string.Empty;

    // ---- (b) trivial patterns -----------------------------------------------------------------------------

    /// <summary>
    /// One unit repeated (a period of at most half the length), or so much made of runs of repeated, sequential
    /// or neighbouring-key characters that it takes fewer than 2^<see cref="GuessableBits"/> guesses.
    /// </summary>
    private static bool IsSimplePattern(ReadOnlySpan<int> text)
    {
        if (text.Length == 0)
        {
            return false;
        }

        var prefix = PrefixFunction(text);
        return (text.Length - prefix[^1]) * 2 <= text.Length || EstimateBits(text) < GuessableBits;
    }

    /// <summary>End (exclusive) of the run of trivial steps starting at <paramref name="start"/>, and its turns.</summary>
    private static (int End, int Turns) Run(ReadOnlySpan<int> text, int start)
    {
        var end = start + 1;
        var turns = 0;
        var heading = ~0;
        while (end < text.Length && StepDirections(text[end - 1], text[end]) is var directions and not 0)
        {
            if ((heading & directions) == 0)
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
    private static bool SameShape(ReadOnlySpan<int> text, int a, int b, int length)
    {
        for (var k = 1; k < length; k++)
        {
            if ((StepDirections(text[a + k - 1], text[a + k]) & StepDirections(text[b + k - 1], text[b + k])) == 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// How <paramref name="to"/> follows <paramref name="from"/>, as a set of directions (0: not a trivial step):
    /// the same character, the next / previous digit or letter, or a neighbouring key on a QWERTY keyboard.
    /// A run keeps its direction while consecutive steps share one; otherwise it turns.
    /// </summary>
    private static int StepDirections(int from, int to)
    {
        if (from == to)
        {
            return Same;
        }

        var directions = 0;
        if (IsAsciiDigit(from) && IsAsciiDigit(to))
        {
            var step = (to - from + 10) % 10; // 8-9-0-1 wraps, as on the number row
            directions = step == 1 ? Up : step == 9 ? Down : 0;
        }
        else if (IsAsciiLetter(from) && IsAsciiLetter(to))
        {
            var step = (to - from + 26) % 26;
            directions = step == 1 ? Up : step == 25 ? Down : 0;
        }
        else if (from > 0x7F && to > 0x7F && Math.Abs(to - from) == 1 && Rune.IsLetter(new Rune(from)) && Rune.IsLetter(new Rune(to)))
        {
            // Other alphabets: consecutive code points (абвгд..., αβγδ...).
            directions = to > from ? Up : Down;
        }

        return directions | Keyboard.Direction(from, to);
    }

    private const int Same = 1, Up = 2, Down = 4;

    private static bool IsTrivialStep(int from, int to) => StepDirections(from, to) != 0;

    private static bool IsSeparator(int c) => c is ' ' or '-' or '_' or '.' || (c <= 0xFFFF && char.IsWhiteSpace((char)c));

    // ---- (d) a dictionary entry with digits / symbols around it ---------------------------------------------

    /// <summary>
    /// True when stripping a cheap non-letter prefix and suffix leaves exactly a dictionary entry, or that entry
    /// repeated (<c>password12345678</c>, <c>!!!dragon2024!!!</c>, <c>dragondragon1234</c>).
    /// </summary>
    private static bool IsCommonWithAdditions(CodePoints text)
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
            suffixBits[j] = EstimateBits(values.AsSpan(j));
        }

        for (var i = 0; i <= lead; i++)
        {
            var prefixBits = EstimateBits(values.AsSpan(0, i));
            if (prefixBits > GuessableBits)
            {
                continue;
            }

            int[]? prefix = null;
            for (var j = trail; j <= n; j++)
            {
                if ((i == 0 && j == n) || prefixBits + suffixBits[j] > GuessableBits)
                {
                    continue;
                }

                var middle = text.Slice(i, j);
                if (middle.Length <= CommonPasswords.MaxEntryLength && CommonPasswords.Contains(middle))
                {
                    return true;
                }

                prefix ??= PrefixFunction(values.AsSpan(i));
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

    // ---- shared: a rough guess estimate and string helpers ---------------------------------------------------

    /// <summary>
    /// A rough, conservative-low estimate of the bits an attacker needs for <paramref name="text"/>: each run of
    /// trivial steps costs its first character plus a few bits, a following run starting next to the previous
    /// run's start costs almost nothing (<c>1qaz2wsx</c>), years and dates cost what a date costs, and any
    /// other character costs log2 of its class size.
    /// </summary>
    internal static double EstimateBits(ReadOnlySpan<int> text) => EstimateBits(text, dates: true);

    private static double EstimateBits(ReadOnlySpan<int> text, bool dates)
    {
        double bits = 0;
        int previousRun = -1, previousRunLength = 0, previousRunEnd = -1;
        for (var i = 0; i < text.Length;)
        {
            if (dates && IsAsciiDigit(text[i]) && (i == 0 || !IsAsciiDigit(text[i - 1])))
            {
                var digitsEnd = i;
                while (digitsEnd < text.Length && IsAsciiDigit(text[digitsEnd]))
                {
                    digitsEnd++;
                }

                if (DateBits(text[i..digitsEnd]) is { } dateBits)
                {
                    bits += Math.Min(dateBits, EstimateBits(text[i..digitsEnd], dates: false));
                    previousRun = -1;
                    i = digitsEnd;
                    continue;
                }
            }

            var (end, turns) = Run(text, i);
            var length = end - i;
            if (length >= MinRunLength)
            {
                var repeatsShape = previousRun >= 0 && previousRunLength == length
                    && (previousRunEnd == i || (previousRunEnd == i - 1 && IsSeparator(text[i - 1])))
                    && IsTrivialStep(text[previousRun], text[i]) && SameShape(text, previousRun, i, length);
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

    /// <summary>Bits for a digit run that reads as a year (1900-2099) or a 6 / 8 digit date; null otherwise.</summary>
    private static double? DateBits(ReadOnlySpan<int> digits)
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

    private static double CharBits(int c) => c switch
    {
        >= '0' and <= '9' => 3.32,
        >= 'a' and <= 'z' => 4.7,
        >= 0x20 and <= 0x7E => 5.0,
        _ => 6.0,
    };

    private static bool IsAsciiDigit(int c) => c is >= '0' and <= '9';

    private static bool IsAsciiLetter(int c) => c is >= 'a' and <= 'z';

    /// <summary>Knuth-Morris-Pratt failure function: the smallest period of text[..k+1] is k+1 - result[k].</summary>
    private static int[] PrefixFunction(ReadOnlySpan<int> text)
    {
        var result = new int[text.Length];
        for (var i = 1; i < text.Length; i++)
        {
            var k = result[i - 1];
            while (k > 0 && text[i] != text[k])
            {
                k = result[k - 1];
            }

            result[i] = text[i] == text[k] ? k + 1 : 0;
        }

        return result;
    }

    private static bool IsWellFormed(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A folded string as code points, with each code point's offset in the string for slicing.</summary>
    private sealed class CodePoints
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
    }

    /// <summary>QWERTY as zxcvbn models it: rows slanted, each key touching two keys above and two below.</summary>
    private static class Keyboard
    {
        private const string Unshifted = "`1234567890-=[]\\;',./";
        private const string Shifted = "~!@#$%^&*()_+{}|:\"<>?";
        private static readonly string[] Rows = ["`1234567890-=", "qwertyuiop[]\\", "asdfghjkl;'", "zxcvbnm,./"];
        private static readonly int[] RowOffsets = [0, 1, 1, 1];
        private static readonly (int Row, int Column)[] Positions = BuildPositions();

        /// <summary>Direction bits from key <paramref name="a"/> to a neighbouring key <paramref name="b"/>; 0 when not neighbours.</summary>
        public static int Direction(int a, int b)
        {
            if (a is < 0 or > 0x7E || b is < 0 or > 0x7E)
            {
                return 0;
            }

            var (rowA, columnA) = Positions[a];
            var (rowB, columnB) = Positions[b];
            if (rowA < 0 || rowB < 0)
            {
                return 0;
            }

            return (rowB - rowA, columnB - columnA) switch
            {
                (0, 0) => Same,     // the same key, shifted or not
                (0, -1) => 1 << 3,  // left
                (0, 1) => 1 << 4,   // right
                (-1, 0) => 1 << 5,  // up-left
                (-1, 1) => 1 << 6,  // up-right
                (1, -1) => 1 << 7,  // down-left
                (1, 0) => 1 << 8,   // down-right
                _ => 0,
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

    /// <summary>
    /// The "passwords-common" dictionary of @zxcvbn-ts/language-common 4.1.3 (MIT; see common-passwords.LICENSE.txt),
    /// loaded once from the embedded resource, NFKC-normalized and case-folded.
    /// </summary>
    internal static class CommonPasswords
    {
        private const string ResourceName = "Serverless.Auth.Passwords.common-passwords.txt";
        private static readonly HashSet<string> Entries = Load();
        private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> Lookup = Entries.GetAlternateLookup<ReadOnlySpan<char>>();

        public static int Count => Entries.Count;

        /// <summary>The longest entry, in UTF-16 units: longer slices need no lookup.</summary>
        public static int MaxEntryLength { get; } = Entries.Max(entry => entry.Length);

        public static bool Contains(ReadOnlySpan<char> folded) => Lookup.Contains(folded);

        public static bool Contains(string folded) => Entries.Contains(folded);

        private static HashSet<string> Load()
        {
            using var stream = typeof(CommonPasswords).Assembly.GetManifestResourceStream(ResourceName)
                ?? throw new InvalidOperationException($"Embedded resource {ResourceName} is missing from {typeof(CommonPasswords).Assembly.GetName().Name}.");
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var entries = new HashSet<string>(50_000, StringComparer.Ordinal);
            while (reader.ReadLine() is { } line)
            {
                if (line.Length > 0)
                {
                    entries.Add(Fold(line));
                }
            }

            return entries;
        }
    }
}
