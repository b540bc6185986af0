using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace Serverless.Auth.Accounts;

/// <summary>
/// The one canonical form of an email address, which identifies an account and is what the API,
/// the token and the users table show; and the fixed-size table key derived from it.
/// </summary>
/// <remarks>
/// Accepted: <c>local@domain</c> with a dot-atom local part (RFC 5322 atext, plus letters, marks and
/// digits of any script) and a domain name, in Unicode or <c>xn--</c> form. Canonicalised: surrounding
/// white space trimmed; NFKC (fullwidth <c>ａｄａ＠ｅｘａｍｐｌｅ．ｃｏｍ</c> is <c>ada@example.com</c>);
/// lower case; the domain mapped by IDNA (UTS #46) and shown as its Unicode form, so
/// <c>bücher.example</c> and <c>xn--bcher-kva.example</c> are one domain; one trailing root dot dropped.
/// Refused with a reason, never silently stripped: invisible, format and control characters
/// (zero-width spaces and joiners, soft hyphen, bidi controls, variation selectors, every
/// default-ignorable code point), unassigned and private-use code points, non-ASCII symbols and
/// punctuation, quoted local parts, IP-literal and numeric domains. Never throws.
/// </remarks>
internal static class EmailAddress
{
    /// <summary>RFC 5321 path limit, on the canonical form.</summary>
    public const int MaxLength = 254;
    public const int MaxLocalLength = 64;
    public const int MaxDomainLength = 253;
    public const int MaxLabelLength = 63;

    public static readonly string InvalidMessage = $"Enter a valid email address of at most {MaxLength} characters.";
    public const string InvisibleMessage =
        "The email address contains invisible, formatting or control characters (such as a zero-width space, a soft hyphen or a direction override): type it without them.";
    public const string QuotedMessage = "Email addresses with a quoted part before the @ are not accepted.";
    public const string IpLiteralMessage = "Email addresses at an IP address are not accepted: use a domain name.";
    public const string SymbolMessage = "Outside ASCII, only letters, marks and digits are accepted in an email address.";
    public static readonly string LocalTooLongMessage = $"The part before the @ must be at most {MaxLocalLength} characters.";
    public const string DomainMessage = "The part after the @ is not a valid domain name.";

    // Input longer than this cannot be valid; checking it is not worth the work.
    private const int MaxInputLength = MaxLength * 4;
    private const string AsciiAtext = "!#$%&'*+-/=?^_`{|}~";

    private static readonly IdnMapping Idn = new() { UseStd3AsciiRules = true, AllowUnassigned = false };

    /// <summary>
    /// The canonical form of <paramref name="input"/>, or why it is refused (a message for the
    /// caller's <c>errors.email</c>). Idempotent: a canonical form canonicalises to itself.
    /// </summary>
    public static bool TryCanonicalize(string? input, [NotNullWhen(true)] out string? canonical, [NotNullWhen(false)] out string? problem)
    {
        canonical = null;
        problem = Canonicalize(input, out var result);
        if (problem is not null)
        {
            return false;
        }

        canonical = result!;
        return true;
    }

    /// <summary>
    /// Table key for a canonical address: base64url of its SHA-256, 43 characters whatever the
    /// address, so no valid address can exceed the storage key limit or hold a character keys forbid.
    /// </summary>
    public static string StorageKey(string canonical) => Base64UrlEncoder.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));

    private static string? Canonicalize(string? input, out string? canonical)
    {
        canonical = null;
        var trimmed = input?.Trim() ?? "";
        if (trimmed.Length is 0 or > MaxInputLength)
        {
            return InvalidMessage;
        }

        // Checked before NFKC, which keeps some of them and would hide none reliably.
        if (HasInvisible(trimmed))
        {
            return InvisibleMessage;
        }

        var text = trimmed.Normalize(NormalizationForm.FormKC).ToLowerInvariant().Normalize(NormalizationForm.FormKC);
        if (HasInvisible(text))
        {
            return InvisibleMessage;
        }

        if (text.Contains('"', StringComparison.Ordinal))
        {
            return QuotedMessage;
        }

        var at = text.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || at != text.LastIndexOf('@') || at == text.Length - 1)
        {
            return InvalidMessage;
        }

        var (local, domain) = (text[..at], text[(at + 1)..]);
        if (domain.StartsWith('['))
        {
            return IpLiteralMessage;
        }

        if (CheckLocal(local) is { } localProblem)
        {
            return localProblem;
        }

        if (CheckDomain(domain, out var unicodeDomain) is { } domainProblem)
        {
            return domainProblem;
        }

        var address = local + "@" + unicodeDomain;
        if (address.Length > MaxLength)
        {
            return InvalidMessage;
        }

        canonical = address;
        return null;
    }

    private static string? CheckLocal(string local)
    {
        if (local.Length > MaxLocalLength)
        {
            return LocalTooLongMessage;
        }

        if (local.StartsWith('.') || local.EndsWith('.') || local.Contains("..", StringComparison.Ordinal))
        {
            return InvalidMessage;
        }

        foreach (var rune in local.EnumerateRunes())
        {
            if (rune.IsAscii)
            {
                if (!Rune.IsLetterOrDigit(rune) && rune.Value != '.' && !AsciiAtext.Contains((char)rune.Value, StringComparison.Ordinal))
                {
                    return InvalidMessage;
                }
            }
            else if (!IsVisibleWordCharacter(rune))
            {
                return SymbolMessage;
            }
        }

        return null;
    }

    /// <summary>IDNA (UTS #46) to the A-label form, checked, then back to the Unicode form shown.</summary>
    private static string? CheckDomain(string domain, out string unicode)
    {
        unicode = "";
        string ascii;
        try
        {
            ascii = Idn.GetAscii(domain);
            // One trailing dot names the DNS root: the same domain. Anything after it is checked below.
            if (ascii.EndsWith('.'))
            {
                ascii = ascii[..^1];
            }

            unicode = ascii.Length == 0 ? "" : Idn.GetUnicode(ascii);
        }
        catch (ArgumentException)
        {
            return DomainMessage;
        }

        var labels = ascii.Split('.');
        if (ascii.Length is 0 or > MaxDomainLength
            || labels.Any(label => label.Length is 0 or > MaxLabelLength)
            || labels[^1].All(char.IsAsciiDigit))
        {
            // A numeric last label: no top-level domain is numeric, so this is an IP address in disguise.
            return labels[^1].Length > 0 && labels[^1].All(char.IsAsciiDigit) ? IpLiteralMessage : DomainMessage;
        }

        // UTS #46 lets some symbols through (e.g. U+2800 BRAILLE PATTERN BLANK): same rule as the local part.
        foreach (var rune in unicode.EnumerateRunes())
        {
            if (!rune.IsAscii && !IsVisibleWordCharacter(rune))
            {
                return SymbolMessage;
            }
        }

        return null;
    }

    private static bool IsVisibleWordCharacter(Rune rune) =>
        Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter
                or UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark
                or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => true,
            _ => false,
        };

    /// <summary>
    /// Anything that does not show, or shows as something else: control, format, line and paragraph
    /// separators, unassigned, private use, ill-formed UTF-16, and every
    /// default-ignorable code point (some are letters or marks, e.g. Hangul fillers, variation selectors).
    /// </summary>
    private static bool HasInvisible(string text)
    {
        var remaining = text.AsSpan();
        while (!remaining.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(remaining, out var rune, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                return true;
            }

            remaining = remaining[consumed..];
            if (IsDefaultIgnorable(rune.Value))
            {
                return true;
            }

            switch (Rune.GetUnicodeCategory(rune))
            {
                case UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator
                    or UnicodeCategory.ParagraphSeparator or UnicodeCategory.OtherNotAssigned
                    or UnicodeCategory.PrivateUse or UnicodeCategory.Surrogate:
                    return true;
            }
        }

        return false;
    }

    /// <summary>Default_Ignorable_Code_Point (Unicode DerivedCoreProperties.txt).</summary>
    private static bool IsDefaultIgnorable(int c) =>
        c is 0x00AD or 0x034F or 0x061C or 0x115F or 0x1160 or 0x17B4 or 0x17B5 or 0x3164 or 0xFEFF or 0xFFA0
            or (>= 0x180B and <= 0x180F)
            or (>= 0x200B and <= 0x200F)
            or (>= 0x202A and <= 0x202E)
            or (>= 0x2060 and <= 0x206F)
            or (>= 0xFE00 and <= 0xFE0F)
            or (>= 0xFFF0 and <= 0xFFF8)
            or (>= 0x1BCA0 and <= 0x1BCA3)
            or (>= 0x1D173 and <= 0x1D17A)
            or (>= 0xE0000 and <= 0xE0FFF);
}
