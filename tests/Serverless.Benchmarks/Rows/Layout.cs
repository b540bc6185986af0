using System.Globalization;
using Serverless.Benchmarks.Infrastructure;

namespace Serverless.Benchmarks;

internal sealed partial class Suite
{
    /// <summary>
    /// The storage layout change: login and signup p50 on this build's server vs the previous release's (the
    /// old layout, <see cref="PreviousRelease"/>). The new layout keys the account by user id behind an email
    /// identity row, so a login reads two rows one after the other where the old one read one. Both servers are
    /// Standalone processes on the same Azurite with the same settings and Argon2 parameters, each on tables of
    /// its own; requests go one at a time (2 cores: a parallel request would time the other's hash), alternating
    /// between the servers and which goes first, so a change in the machine's load falls on both sides alike.
    /// </summary>
    private async Task LayoutAsync(string connectionString, string signingKey)
    {
        var release = PreviousRelease.Commit[..7];
        Section($"layout: building the previous release {release} (once per machine)");
        var releaseDll = await PreviousRelease.BuildAsync();
        Section($"layout: login and signup, previous release {release} vs this build, alternating");
        await using var oldServer = ServerProcess.StartStandalone(releaseDll, LayoutSettings(connectionString, "LayoutOld", signingKey));
        await using var newServer = ServerProcess.StartStandalone(LayoutSettings(connectionString, "LayoutNew", signingKey));
        await Task.WhenAll(oldServer.WaitUntilAnsweringAsync(), newServer.WaitUntilAnsweringAsync());
        using var oldClient = new ApiClient(oldServer.BaseAddress);
        using var newClient = new ApiClient(newServer.BaseAddress);

        // Each kind is warmed just before it is measured: a fresh instance hashes at tier-0 speed for its first
        // 15-25 hashes (the login overhead row), and a method the published build precompiled (ReadyToRun) is
        // recompiled only after 30 calls, then again with its profile: with 30 warm-up logins the published
        // server still ran its first measured logins slower than the release. Failures while warming are harness
        // failures: a server that cannot sign up or log in is broken.
        var (warmSignups, warmLogins, rounds) = (Count(20, 4), Count(60, 10), Count(40, 10));
        await AlternateAsync(oldClient, newClient, warmSignups, (client, i) => SignupOutcomeAsync(client, $"layout-warm{i}@bench.test"), SignedUp, "warm-up signup");
        // The same fresh addresses on both servers (their tables are apart), so both store the same keys.
        var signups = await AlternateAsync(oldClient, newClient, rounds, (client, i) => SignupOutcomeAsync(client, LayoutEmail(i)), SignedUp);
        await AlternateAsync(oldClient, newClient, warmLogins, (client, i) => LoginOutcomeAsync(client, $"layout-warm{i % warmSignups}@bench.test"), LoggedIn, "warm-up login");
        // Each on an account the signups created, a different one each round.
        var logins = await AlternateAsync(oldClient, newClient, rounds, (client, i) => LoginOutcomeAsync(client, LayoutEmail(i)), LoggedIn);

        var loginRatio = logins.Ratio;
        report.Add(new Row($"layout: login p50, this build vs the previous release {release} (the old layout, account keyed by email), two Standalone processes on one Azurite, {rounds} alternating pairs, one request at a time",
            logins.Measured, "≤ 1.05×", Ratio(loginRatio), loginRatio <= 1.05));
        report.Add(new Row($"layout: signup p50, the same two servers, {rounds} alternating pairs of fresh addresses",
            signups.Measured, "reported", Ratio(signups.Ratio), null));
        report.Note($"layout, login: {logins.Describe()}; signup: {signups.Describe()}. "
            + $"The release is a plain Release build (`.ci/previous-release {release}`), this build the published one; both ran {warmSignups} signups before the signups and {warmLogins} logins before the logins (not counted).");
    }

    /// <summary>The benchmark settings on tables of their own, with the hash parameters written out so both releases hash alike whatever their defaults.</summary>
    private static Dictionary<string, string?> LayoutSettings(string connectionString, string tableSuffix, string signingKey)
    {
        var settings = ApiSettings.Create(connectionString, tableSuffix, signingKey);
        settings["Auth:Argon2:MemoryKiB"] = Defaults.MemoryKiB.ToString(CultureInfo.InvariantCulture);
        settings["Auth:Argon2:Iterations"] = Defaults.Iterations.ToString(CultureInfo.InvariantCulture);
        settings["Auth:Argon2:Parallelism"] = Defaults.Parallelism.ToString(CultureInfo.InvariantCulture);
        return settings;
    }

    private static string LayoutEmail(int round) => $"layout{round}@bench.test";

    private static Task<Outcome> SignupOutcomeAsync(ApiClient client, string email) => ApiClient.TimeAsync(() => client.SignupAsync(email));

    private static Task<Outcome> LoginOutcomeAsync(ApiClient client, string email) => ApiClient.TimeAsync(() => client.LoginAsync(email));

    /// <summary>Answered as the existing rows expect: 201 or 200 with the session cookie.</summary>
    private static bool SignedUp(Outcome outcome) => outcome.Status == 201 && outcome.Token is not null;

    private static bool LoggedIn(Outcome outcome) => outcome.Status == 200 && outcome.Token is not null;

    /// <summary>
    /// One request per server per round, sequentially; the old server goes first in even rounds, the new one in
    /// odd rounds. A request that fails <paramref name="succeeded"/> is not timed; with <paramref name="mustSucceed"/>
    /// (warm-up) it stops the run.
    /// </summary>
    private static async Task<LayoutSamples> AlternateAsync(ApiClient oldClient, ApiClient newClient, int rounds,
        Func<ApiClient, int, Task<Outcome>> call, Func<Outcome, bool> succeeded, string? mustSucceed = null)
    {
        var samples = new LayoutSamples();
        for (var i = 0; i < rounds; i++)
        {
            foreach (var isNew in i % 2 == 0 ? new[] { false, true } : [true, false])
            {
                var outcome = await call(isNew ? newClient : oldClient, i);
                var ok = succeeded(outcome);
                if (mustSucceed is not null && !ok)
                {
                    throw new InvalidOperationException($"{mustSucceed} on the {(isNew ? "new" : "old")} server answered {outcome.Status}: {System.Text.Encoding.UTF8.GetString(outcome.Body)}");
                }

                (isNew ? samples.New : samples.Old).Add(ok ? outcome.Milliseconds : null);
                if (!ok)
                {
                    samples.Failed.Add($"{(isNew ? "new" : "old")} {outcome.Status}");
                }
            }
        }

        return samples;
    }

    /// <summary>Per-round times of each server, null where the request failed.</summary>
    private sealed class LayoutSamples
    {
        public List<double?> Old { get; } = [];
        public List<double?> New { get; } = [];

        /// <summary>Side and status of each failed request, e.g. <c>new 429</c>.</summary>
        public List<string> Failed { get; } = [];

        private IEnumerable<double> OldTimed => Old.OfType<double>();
        private IEnumerable<double> NewTimed => New.OfType<double>();

        /// <summary>p50 of the new server over p50 of the old, each over its successful requests.</summary>
        public double Ratio => Stats.Median(NewTimed) / Stats.Median(OldTimed);

        /// <summary>The table's cell: new vs old at p50, and at p90.</summary>
        public string Measured =>
            $"{Ms(Stats.Median(NewTimed))} vs {Ms(Stats.Median(OldTimed))} (p90 {Ms(Stats.Percentile(NewTimed, 90))} vs {Ms(Stats.Percentile(OldTimed, 90))})";

        private static string Sequence(List<double?> times) =>
            string.Join(" ", times.Select(v => v is { } ms ? ms.ToString("F0", CultureInfo.InvariantCulture) : "×"));

        /// <summary>The median of the per-round ratios (rounds where both succeeded), the failures and the times in order.</summary>
        public string Describe()
        {
            var pairs = Old.Zip(New, (o, n) => o is { } old && n is { } now ? now / old : (double?)null).OfType<double>().ToList();
            return $"median of the per-round ratios (new / old) {Suite.Ratio(Stats.Median(pairs))} over {pairs.Count} rounds, "
                + $"failed (not counted): {(Failed.Count == 0 ? "none" : string.Join(", ", Failed))}; "
                + $"sequence (ms, by round) old {Sequence(Old)}, new {Sequence(New)}";
        }
    }
}
