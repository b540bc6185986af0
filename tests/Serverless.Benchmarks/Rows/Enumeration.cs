using System.Collections.Concurrent;
using Serverless.Benchmarks.Infrastructure;

namespace Serverless.Benchmarks;

internal sealed partial class Suite
{
    /// <summary>
    /// Issue 4: failed-login timing, unknown email vs known email with a wrong password, interleaved.
    /// Ten emails of each kind share the tries so no email reaches the backoff (FreeFailures = 50).
    /// </summary>
    private async Task EnumerationAsync(ApiClient client)
    {
        Section("enumeration timing: unknown vs known email");
        const int emails = 10;
        const string wrong = "not-the-password-4417-quartz";
        var known = Enumerable.Range(0, emails).Select(i => $"known{i}@bench.test").ToArray();
        var unknown = Enumerable.Range(0, emails).Select(i => $"unknown{i}@bench.test").ToArray();
        foreach (var email in known)
        {
            await client.SignupTokenAsync(email);
        }

        var knownMs = new List<double>();
        var unknownMs = new List<double>();
        var tries = Count(200, 40);
        for (var i = 0; i < tries + 2; i++)
        {
            // Alternate which goes first, so neither kind always follows the other.
            var order = i % 2 == 0 ? new[] { true, false } : [false, true];
            foreach (var isKnown in order)
            {
                var email = (isKnown ? known : unknown)[i % emails];
                var outcome = await ApiClient.TimeAsync(() => client.LoginAsync(email, wrong));
                Expect(outcome, 401, "failed login");
                if (i >= 2)
                {
                    (isKnown ? knownMs : unknownMs).Add(outcome.Milliseconds);
                }
            }
        }

        var knownMedian = Stats.Median(knownMs);
        var unknownMedian = Stats.Median(unknownMs);
        var ratio = unknownMedian / knownMedian;
        var (low, high) = BootstrapMedianDifference(unknownMs, knownMs);
        var withinNoise = low <= 0 && high >= 0;
        report.Add(new Row($"enumeration (issue 4): failed-login median, unknown email vs known email + wrong password ({tries} tries each, interleaved)",
            $"{Ms(unknownMedian)} vs {Ms(knownMedian)}", "difference within noise", $"{ratio:F3}×", withinNoise));
        report.Note($"enumeration: median difference {unknownMedian - knownMedian:+0.0;-0.0} ms, 95 % bootstrap interval [{low:+0.0;-0.0}, {high:+0.0;-0.0}] ms "
            + $"(within noise = the interval contains 0); p25–p75 unknown {Ms(Stats.Percentile(unknownMs, 25))}–{Ms(Stats.Percentile(unknownMs, 75))}, "
            + $"known {Ms(Stats.Percentile(knownMs, 25))}–{Ms(Stats.Percentile(knownMs, 75))}.");
    }

    private static (double Low, double High) BootstrapMedianDifference(List<double> a, List<double> b)
    {
        var random = new Random(42);
        var differences = new double[2000];
        var sampleA = new double[a.Count];
        var sampleB = new double[b.Count];
        for (var i = 0; i < differences.Length; i++)
        {
            for (var j = 0; j < sampleA.Length; j++)
            {
                sampleA[j] = a[random.Next(a.Count)];
            }

            for (var j = 0; j < sampleB.Length; j++)
            {
                sampleB[j] = b[random.Next(b.Count)];
            }

            differences[i] = Stats.Median(sampleA) - Stats.Median(sampleB);
        }

        return (Stats.Percentile(differences, 2.5), Stats.Percentile(differences, 97.5));
    }

    /// <summary>Load check: 200 concurrent logins (half valid, half unknown) are all answered with 200/401/503+Retry-After.</summary>
    private async Task ConcurrentLoginsAsync(ApiClient client)
    {
        Section("load check: 200 concurrent logins");
        const string email = "crowd@bench.test";
        await client.SignupTokenAsync(email);
        var statuses = new ConcurrentDictionary<int, int>();
        var bad = 0;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, 200).Select(async i =>
        {
            try
            {
                var outcome = await ApiClient.TimeAsync(() => i % 2 == 0 ? client.LoginAsync(email) : client.LoginAsync($"stranger{i}@bench.test", "wrong-guess-" + i + "-pelican"));
                statuses.AddOrUpdate(outcome.Status, 1, (_, n) => n + 1);
                // 429 + Retry-After: the account's backoff row serialises attempts (a reservation per attempt);
                // those that lose its compare-and-swap in a burst are refused, never hashed.
                if (outcome.Status is not (200 or 401) && !(outcome.Status is 503 or 429 && outcome.HasRetryAfter))
                {
                    Interlocked.Increment(ref bad);
                }
            }
            catch (HttpRequestException)
            {
                statuses.AddOrUpdate(-1, 1, (_, n) => n + 1);
                Interlocked.Increment(ref bad);
            }
            catch (TaskCanceledException)
            {
                statuses.AddOrUpdate(-2, 1, (_, n) => n + 1);
                Interlocked.Increment(ref bad);
            }
        }));
        var elapsed = ElapsedMs(started) / 1000;
        report.Add(new Row("load: 200 concurrent logins (100 valid on one account, 100 unknown emails), bound = cores, queue 5 s",
            $"{statuses.Values.Sum()} answered in {elapsed:F1} s: {Describe(statuses)}", "only 200/401, or 429/503 + Retry-After; all answered",
            $"{bad} bad", bad == 0));
    }
}
