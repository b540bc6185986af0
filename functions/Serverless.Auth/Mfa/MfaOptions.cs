using Microsoft.Extensions.Options;
using Serverless.Auth.Email;

namespace Serverless.Auth.Mfa;

/// <summary>Two-factor sign-in (<c>Auth__Mfa__*</c>).</summary>
public sealed class MfaOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Auth:Mfa";

    /// <summary>
    /// The name authenticator apps show next to the account (1-100 characters, no <c>:</c>); empty:
    /// <c>Auth__Email__ProductName</c>. See <see href="mfa-and-passkeys.md">two-factor sign-in</see>.
    /// </summary>
    [Setting(Default = "`Auth__Email__ProductName`")]
    public string? Issuer { get; set; }

    /// <summary>How long, in seconds, the second step of a sign-in may take after the right password (the pending cookie's lifetime), 60-900.</summary>
    public int PendingSeconds { get; set; } = 300;

    /// <summary>
    /// A sensitive change asks for a code unless this session checked a second factor this many seconds ago or less; 0-3600
    /// (0: always).
    /// </summary>
    public int StepUpSeconds { get; set; } = 600;

    /// <summary>How far instances' clocks may disagree about a time one of them wrote (as for access tokens).</summary>
    internal static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Whether a second factor checked at <paramref name="checkedAt"/> (perhaps by another instance, whose clock may run a
    /// little ahead) is within <paramref name="window"/> of <paramref name="now"/>: the one rule of step-up and the app policy.
    /// </summary>
    internal static bool IsRecent(DateTimeOffset checkedAt, DateTimeOffset now, TimeSpan window) =>
        window > TimeSpan.Zero && now - checkedAt is var age && age >= -ClockSkew && age <= window;

    internal TimeSpan PendingLifetime => TimeSpan.FromSeconds(PendingSeconds);

    internal TimeSpan StepUpWindow => TimeSpan.FromSeconds(StepUpSeconds);
}

internal sealed class MfaOptionsValidator : IValidateOptions<MfaOptions>
{
    public ValidateOptionsResult Validate(string? name, MfaOptions options)
    {
        var failures = new List<string>();
        if (options.Issuer is { Length: > 0 } issuer && (issuer.Length > 100 || issuer.Any(char.IsControl) || issuer.Contains(':', StringComparison.Ordinal)))
        {
            // The otpauth label is "issuer:account": a colon would split it where apps do not expect.
            failures.Add("Auth__Mfa__Issuer must be 1-100 characters without line breaks or ':' (authenticator apps show it).");
        }

        if (options.PendingSeconds is < 60 or > 900)
        {
            failures.Add("Auth__Mfa__PendingSeconds must be 60-900 (the second step's window after the right password).");
        }

        if (options.StepUpSeconds is < 0 or > 3600)
        {
            failures.Add("Auth__Mfa__StepUpSeconds must be 0-3600 (0: every sensitive change asks for a code).");
        }

        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }
}

/// <summary>The issuer name as configured, else the product name of the mails.</summary>
internal sealed class MfaIssuer(IOptions<MfaOptions> mfa, IOptions<EmailOptions> email)
{
    public string Name { get; } = string.IsNullOrWhiteSpace(mfa.Value.Issuer) ? email.Value.ProductName.Replace(":", "", StringComparison.Ordinal) : mfa.Value.Issuer;
}
