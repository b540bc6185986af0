using Microsoft.Extensions.Options;

namespace Serverless.Auth.Passwords;

/// <summary>Settings under <c>Auth__Password__*</c> (NIST SP 800-63B-4: length, no composition rules).</summary>
public sealed class PasswordOptions
{
    public const string Section = "Auth:Password";

    /// <summary>15 for password-only authentication (NIST SP 800-63B-4).</summary>
    public int MinLength { get; set; } = 15;

    /// <summary>Caps hashing work; NIST asks to allow at least 64.</summary>
    public int MaxLength { get; set; } = 256;
}

internal sealed class PasswordOptionsValidator : IValidateOptions<PasswordOptions>
{
    public ValidateOptionsResult Validate(string? name, PasswordOptions options) =>
        options.MinLength < 8
            ? ValidateOptionsResult.Fail("Auth__Password__MinLength must be at least 8 (15 is the default for password-only sign-in).")
            : options.MaxLength < 64 || options.MaxLength > 1024 || options.MaxLength < options.MinLength
                ? ValidateOptionsResult.Fail("Auth__Password__MaxLength must be between 64 and 1024 and not below Auth__Password__MinLength.")
                : ValidateOptionsResult.Success;
}
