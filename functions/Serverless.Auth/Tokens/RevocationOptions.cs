using Microsoft.Extensions.Options;

namespace Serverless.Auth.Tokens;

/// <summary>Settings under <c>Auth__Revocation__*</c>: how the in-memory revocation list stays current.</summary>
public sealed class RevocationOptions
{
    /// <summary>The configuration section these settings bind to (<c>Auth__Revocation__*</c> environment variables).</summary>
    public const string Section = "Auth:Revocation";

    /// <summary>How often each instance pulls new revocations from Table Storage, in milliseconds (100-60000).</summary>
    public int SyncIntervalMilliseconds { get; set; } = 1000;

    /// <summary>
    /// When the last good sync is older than this many milliseconds (syncing stalled), verify reads storage directly (fail
    /// closed). At least twice <see cref="SyncIntervalMilliseconds"/>.
    /// </summary>
    public int StaleAfterMilliseconds { get; set; } = 5000;
}

internal sealed class RevocationOptionsValidator : IValidateOptions<RevocationOptions>
{
    public ValidateOptionsResult Validate(string? name, RevocationOptions options) =>
        options.SyncIntervalMilliseconds is < 100 or > 60000
            ? ValidateOptionsResult.Fail("Auth__Revocation__SyncIntervalMilliseconds must be between 100 and 60000.")
            : options.StaleAfterMilliseconds < 2 * options.SyncIntervalMilliseconds
                ? ValidateOptionsResult.Fail("Auth__Revocation__StaleAfterMilliseconds must be at least twice Auth__Revocation__SyncIntervalMilliseconds.")
                : ValidateOptionsResult.Success;
}
