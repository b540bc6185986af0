using System.Text;

namespace Serverless.Auth.Passwords;

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
                entries.Add(TextNormalization.Fold(line));
            }
        }

        return entries;
    }
}
