using System.Globalization;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Infrastructure;

/// <summary>
/// The previous release of Serverless.Standalone, built from this repository's history by .ci/previous-release
/// and run as a process of its own on a test's tables: stored data written by the code that is deployed
/// today, for the tests that prove the new release reads it. <see cref="Commit"/> moves forward when a
/// release changes what is stored.
/// </summary>
public static class PreviousRelease
{
    /// <summary>The last release before issue 22 changed what sessions, accounts and revocations store.</summary>
    public const string Commit = "c6491338f31f7775470faeec81dda6498633c867";

    /// <summary>The last release with accounts keyed by their email (before issue 26 keyed them by user id).</summary>
    public const string EmailKeyedAccounts = "d923c7fb84de8a931cf81db7ea23041300a041fc";

    /// <summary>The last release before second factors (issue 28): it knows no MFA column and no fenced hash.</summary>
    public const string BeforeSecondFactors = "cbb43a45ab4caca8e4945377a0cdd867be60385f";

    /// <summary>
    /// The last release before passkeys (issue 29): TOTP two-factor sign-in, but no passkey column, row or identity; it
    /// merges the account row for its own writes and replaces it with a tombstone on deletion.
    /// </summary>
    public const string BeforePasskeys = "9cc14772bf5c0e008b667a717a95a32060581973";

    /// <summary>
    /// The last release before social sign-in (issue 30): passkeys and TOTP, but no OidcCount or EmailUnclaimed column, no
    /// provider link or identity row and no account without a password; it merges the account row for its own writes and
    /// replaces it with a tombstone on deletion.
    /// </summary>
    public const string BeforeSocialSignIn = "4bc63906e71f5bca23306ea8c50555b67896b631";

    /// <summary>
    /// The last release before the security event log and the admin API (issue 31): no Disabled column, no event tables, no
    /// admin routes; it merges the account row for its own writes and replaces it with a tombstone on deletion.
    /// </summary>
    public const string BeforeEventLog = "6fa51d38e1e5167bd450bb6044ecc8e413239d83";

    private static readonly SemaphoreSlim Building = new(1, 1);

    /// <summary>Builds the release once per machine and starts it with <paramref name="settings"/>.</summary>
    public static async Task<HostProcess> StartAsync(IReadOnlyDictionary<string, string?> settings, string commit = Commit)
    {
        var withOldNames = new Dictionary<string, string?>(settings);
        if (settings.TryGetValue("AUTH_EMAIL_QUEUE", out var queue))
        {
            // The previous release named its mail queue under the Auth section.
            withOldNames["Auth:Storage:EmailQueue"] = queue;
        }

        return await HostProcess.StartStandaloneAsync(withOldNames, await BuildAsync(commit));
    }

    /// <summary>.ci/previous-release builds it once per machine (a folder named by the commit) and prints the dll's path.</summary>
    private static async Task<string> BuildAsync(string commit)
    {
        await Building.WaitAsync();
        try
        {
            var result = await Command.RunAsync("bash", [RepoPaths.Combine(".ci", "previous-release"), commit], TimeSpan.FromMinutes(8));
            var dll = result.StandardOutput.Trim();
            return result.ExitCode == 0 && File.Exists(dll)
                ? dll
                : throw new InvalidOperationException(
                    string.Create(CultureInfo.InvariantCulture, $".ci/previous-release {commit} exited with {result.ExitCode} (it needs this repository's git history):\n{result.StandardError}"));
        }
        finally
        {
            Building.Release();
        }
    }
}
