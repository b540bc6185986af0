using System.Text;

namespace Serverless.Auth.Passwords;

/// <summary>
/// NFKC and case folding, so that passwords, context words and dictionary entries compare the same however
/// they were typed. Text with unpaired surrogates cannot be normalized and is handled separately.
/// </summary>
internal static class TextNormalization
{
    /// <summary>
    /// NFKC and its length in code points. Unpaired surrogates cannot be normalized: such text stays as it is
    /// and each one counts as one (replacement) character.
    /// </summary>
    public static (string Text, int Length, bool WellFormed) Normalize(string password)
    {
        var wellFormed = IsWellFormed(password);
        var text = wellFormed ? password.Normalize(NormalizationForm.FormKC) : password;
        return (text, text.EnumerateRunes().Count(), wellFormed);
    }

    /// <summary>NFKC then lower case; empty for text that cannot be normalized.</summary>
    public static string Fold(string text) =>
        IsWellFormed(text) ? text.Normalize(NormalizationForm.FormKC).ToLowerInvariant() : string.Empty;

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
}
