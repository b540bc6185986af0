using Microsoft.Extensions.Options;

namespace Serverless.Auth.Passwords;

/// <summary>Settings under <c>Auth__Password__*</c> (NIST SP 800-63B-4: length, no composition rules).</summary>
public sealed class PasswordOptions
{
    /// <summary>The configuration section these settings bind to (<c>Auth__Password__*</c> environment variables).</summary>
    public const string Section = "Auth:Password";

    /// <summary>
    /// The shortest password, in Unicode code points after NFKC: 15 for password-only authentication (NIST SP 800-63B-4);
    /// at least 8.
    /// </summary>
    public int MinLength { get; set; } = 15;

    /// <summary>The longest password, in code points after NFKC: caps hashing work; 64-1024 (NIST asks to allow at least 64), not below <see cref="MinLength"/>.</summary>
    public int MaxLength { get; set; } = 256;

    /// <summary>
    /// The name users know this service by (at most 100 characters). Passwords made of it (spaces and punctuation ignored,
    /// with only digits or symbols added) are refused, as NIST SP 800-63B-4 asks for context-specific words. Empty turns
    /// that check off.
    /// </summary>
    public string ServiceName { get; set; } = "Serverless Auth";
}

internal sealed class PasswordOptionsValidator : IValidateOptions<PasswordOptions>
{
    public const int MaxServiceNameLength = 100;

    public ValidateOptionsResult Validate(string? name, PasswordOptions options)
    {
        var failures = new List<string>();
        if (options.MinLength < 8)
        {
            failures.Add("Auth__Password__MinLength must be at least 8 (15 is the default for password-only sign-in).");
        }
        else if (options.MaxLength < 64 || options.MaxLength > 1024 || options.MaxLength < options.MinLength)
        {
            failures.Add("Auth__Password__MaxLength must be between 64 and 1024 and not below Auth__Password__MinLength.");
        }

        if (options.ServiceName is null || options.ServiceName.Length > MaxServiceNameLength)
        {
            failures.Add($"Auth__Password__ServiceName must be at most {MaxServiceNameLength} characters (empty turns the service-name check off).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
