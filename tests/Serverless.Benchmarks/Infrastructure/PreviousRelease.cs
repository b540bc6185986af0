using System.Globalization;
using Serverless.Testing;

namespace Serverless.Benchmarks.Infrastructure;

/// <summary>
/// The previous release of Serverless.Standalone, built from this repository's history by .ci/previous-release
/// (once per machine, into a folder named by the commit): the "before" of the layout row.
/// </summary>
internal static class PreviousRelease
{
    /// <summary>
    /// d923c7f: the last release with the old storage layout (the account row keyed by the email's hash, so a
    /// login reads one row). Moves forward only when the layout row should compare with a later release.
    /// </summary>
    public const string Commit = "d923c7fb84de8a931cf81db7ea23041300a041fc";

    /// <summary>
    /// The build leaves no servers behind: MSBuild's reusable nodes and the compiler server would otherwise stay
    /// resident on the 2 cores while the row measures.
    /// </summary>
    private static readonly Dictionary<string, string?> NoBuildServers = new()
    {
        ["MSBUILDDISABLENODEREUSE"] = "1",
        ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0",
        ["UseSharedCompilation"] = "false",
    };

    /// <summary>Builds the release unless this machine has it already and returns its dll; throws (harness failure) if that fails.</summary>
    public static async Task<string> BuildAsync()
    {
        var result = await Command.RunAsync("bash", [RepoPaths.Combine(".ci", "previous-release"), Commit], TimeSpan.FromMinutes(10), environment: NoBuildServers);
        var dll = result.StandardOutput.Trim();
        return result.ExitCode == 0 && File.Exists(dll)
            ? dll
            : throw new InvalidOperationException(
                string.Create(CultureInfo.InvariantCulture, $".ci/previous-release {Commit} exited with {result.ExitCode} (it needs this repository's git history):\n{result.StandardError}"));
    }
}
