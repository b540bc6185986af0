using Serverless.Auth.Email;
using Serverless.Auth.Http;
using Serverless.Benchmarks.Infrastructure;
using Serverless.Testing;

namespace Serverless.Benchmarks;

internal sealed partial class Suite
{
    /// <summary>
    /// Issue 14: password/forgot and email/resend answer alike for registered and unknown addresses
    /// (timing, interleaved). Issue 16: their p50 against what they must do, a verify request plus one
    /// queue insert (the same client and payload size), measured in the same loop.
    /// </summary>
    private async Task EmailRequestsAsync(TestApi api, ApiClient client)
    {
        Section("email: forgot/resend, known vs unknown address, vs verify + one queue insert");
        const int emails = 10;
        var known = Enumerable.Range(0, emails).Select(i => $"mail-known{i}@bench.test").ToArray();
        var unknown = Enumerable.Range(0, emails).Select(i => $"mail-unknown{i}@bench.test").ToArray();
        string token = "";
        foreach (var email in known)
        {
            token = await client.SignupTokenAsync(email);
        }

        var queue = api.Service<MailQueue>();
        var sample = new MailRequest(MailKind.Reset, known[0], MailRequest.NewToken(), DateTimeOffset.UtcNow);
        var samples = new Dictionary<string, List<double>>
        {
            ["forgot known"] = [], ["forgot unknown"] = [], ["resend known"] = [], ["resend unknown"] = [], ["verify"] = [], ["queue insert"] = [],
        };
        var tries = Count(200, 30);
        for (var i = 0; i < tries + 3; i++)
        {
            var steps = new (string Name, Func<Task<double>> Run)[]
            {
                ("forgot known", () => TimedAsync(() => client.PostEmailAsync(AuthApi.PasswordForgot.Path, known[i % emails]), 202)),
                ("forgot unknown", () => TimedAsync(() => client.PostEmailAsync(AuthApi.PasswordForgot.Path, unknown[i % emails]), 202)),
                ("resend known", () => TimedAsync(() => client.PostEmailAsync(AuthApi.EmailResend.Path, known[i % emails]), 202)),
                ("resend unknown", () => TimedAsync(() => client.PostEmailAsync(AuthApi.EmailResend.Path, unknown[i % emails]), 202)),
                ("verify", () => TimedAsync(() => client.VerifyAsync(token), 200)),
                ("queue insert", async () =>
                {
                    var started = System.Diagnostics.Stopwatch.GetTimestamp();
                    await queue.EnqueueAsync(sample with { Token = MailRequest.NewToken() }, CancellationToken.None);
                    return ElapsedMs(started);
                }),
            };
            // Rotate the order so no step always follows another.
            for (var k = 0; k < steps.Length; k++)
            {
                var (name, run) = steps[(k + i) % steps.Length];
                var ms = await run();
                if (i >= 3)
                {
                    samples[name].Add(ms);
                }
            }
        }

        var p50 = samples.ToDictionary(s => s.Key, s => Stats.Median(s.Value));
        var knownAll = samples["forgot known"].Concat(samples["resend known"]).ToList();
        var unknownAll = samples["forgot unknown"].Concat(samples["resend unknown"]).ToList();
        var (low, high) = BootstrapMedianDifference(unknownAll, knownAll);
        report.Add(new Row($"email enumeration (issue 14): password/forgot + email/resend median, unknown vs registered address ({2 * tries} each, interleaved)",
            $"{Ms(Stats.Median(unknownAll))} vs {Ms(Stats.Median(knownAll))}", "difference within noise", $"{Stats.Median(unknownAll) / Stats.Median(knownAll):F3}×", low <= 0 && high >= 0));

        var floor = p50["verify"] + p50["queue insert"];
        var endpoints = Stats.Median(samples.Where(s => s.Key.StartsWith("forgot", StringComparison.Ordinal) || s.Key.StartsWith("resend", StringComparison.Ordinal)).SelectMany(s => s.Value).ToList());
        report.Add(new Row("email endpoints (issue 16): 202 p50 of password/forgot and email/resend vs a verify request + one queue insert (Azurite), same loop",
            $"{Ms(endpoints)} vs {Ms(floor)}", "≤ 1.5×", Ratio(endpoints / floor), endpoints / floor <= 1.5));
        report.Note($"email: p50 forgot known {Ms(p50["forgot known"])}, unknown {Ms(p50["forgot unknown"])}; resend known {Ms(p50["resend known"])}, unknown {Ms(p50["resend unknown"])}; "
            + $"verify {Ms(p50["verify"])}, queue insert {Ms(p50["queue insert"])}; median difference unknown − known {Stats.Median(unknownAll) - Stats.Median(knownAll):+0.00;-0.00} ms, "
            + $"95 % bootstrap interval [{low:+0.00;-0.00}, {high:+0.00;-0.00}] ms. The in-process API runs without its mail sender (request paths only).");
    }

    private static async Task<double> TimedAsync(Func<Task<HttpResponseMessage>> call, int expected)
    {
        var outcome = await ApiClient.TimeAsync(call);
        Expect(outcome, expected, "email row request");
        return outcome.Milliseconds;
    }
}
