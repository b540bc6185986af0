using System.Text;
using Microsoft.Extensions.Options;

namespace Serverless.Auth.Passwords;

/// <summary>Decides whether a new password is acceptable; answers with the reason when not.</summary>
internal sealed class PasswordPolicy(IOptions<PasswordOptions> options)
{
    private readonly PasswordOptions options = options.Value;

    /// <summary>Length in code points after NFKC, as NIST counts it (an emoji is one character, not two UTF-16 units).</summary>
    public static int LengthOf(string password) =>
        password.Normalize(NormalizationForm.FormKC).EnumerateRunes().Count();

    public bool IsTooLong(string password) => password.Length > options.MaxLength * 2 || LengthOf(password) > options.MaxLength;

    /// <summary>Null when acceptable, else a message a user can act on.</summary>
    public string? Check(string password, string normalizedEmail)
    {
        var length = LengthOf(password);
        if (length < options.MinLength)
        {
            return $"Password must be at least {options.MinLength} characters.";
        }

        if (length > options.MaxLength)
        {
            return $"Password must be at most {options.MaxLength} characters.";
        }

        return null;
    }
}
