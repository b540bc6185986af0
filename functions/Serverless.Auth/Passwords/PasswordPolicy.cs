using Microsoft.Extensions.Options;

namespace Serverless.Auth.Passwords;

/// <summary>
/// Decides whether a new password is acceptable (NIST SP 800-63B-4) and answers with the reason when not.
/// Length is counted in code points after NFKC, whitespace kept, no composition rules. After NFKC and case
/// folding a password is refused when it is (a) in the common-password dictionary of @zxcvbn-ts/language-common
/// (<see cref="CommonPasswords"/>), (b) a trivial pattern: one unit repeated, or mostly runs of repeated, sequential
/// or neighbouring-key characters (<see cref="SimplePatterns"/>), (c) built from the email address or the service
/// name with only cheap additions (<see cref="ContextWords"/>), or (d) a dictionary entry with only cheap digits /
/// symbols around it (<see cref="CommonPasswordWithAdditions"/>). Everything is a set lookup or a linear scan:
/// no regular expressions.
/// </summary>
internal sealed class PasswordPolicy(IOptions<PasswordOptions> options)
{
    public const string TooCommon = "This password is on a list of commonly used passwords.";
    public const string CommonWithAdditions = "This password is a commonly used password with only digits or symbols added.";
    public const string SimplePattern = "This password is a simple pattern (repeated or sequential characters, or a keyboard walk).";
    public const string TooCloseToEmail = "This password is too close to your email address.";
    public const string TooCloseToServiceName = "This password is too close to the name of this service.";
    public const string NotValidText = "Password contains characters that are not valid text.";

    private readonly PasswordOptions options = options.Value;
    private readonly ContextWords contextWords = new(options.Value.ServiceName);

    /// <summary>Length in code points after NFKC, as NIST counts it (an emoji is one character, not two UTF-16 units).</summary>
    public static int LengthOf(string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        return TextNormalization.Normalize(password).Length;
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
    public string? Check(string password, string canonicalEmail)
    {
        ArgumentNullException.ThrowIfNull(password);
        // The same tests as IsTooLong, with the one normalization the rest of the checks use.
        var tooLong = $"Password must be at most {options.MaxLength} characters.";
        if (IsTooLongToNormalize(password))
        {
            return tooLong;
        }

        var (normalized, length, wellFormed) = TextNormalization.Normalize(password);
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

        if (contextWords.BuiltFrom(folded, canonicalEmail ?? string.Empty) is { } source)
        {
            return source == ContextSource.Email ? TooCloseToEmail : TooCloseToServiceName;
        }

        var text = new CodePoints(folded);
        if (SimplePatterns.Matches(text.Values))
        {
            return SimplePattern;
        }

        return CommonPasswordWithAdditions.Matches(text) ? CommonWithAdditions : null;
    }
}
