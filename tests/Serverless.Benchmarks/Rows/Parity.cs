using Serverless.Benchmarks.Infrastructure;

namespace Serverless.Benchmarks;

internal sealed partial class Suite
{
    /// <summary>
    /// Issue 24: sequential logins on different accounts, 0.2 s apart, against one Standalone process. Once
    /// they alternated strictly between fast and slow; the row prints the sequence and compares the medians
    /// of the odd and the even logins. The same is done for bare hashes in a process of their own, the control.
    /// </summary>
    private async Task ParityAsync(string connectionString, string signingKey)
    {
        Section("parity: 40 sequential logins on different accounts, 0.2 s apart");
        var settings = ApiSettings.Create(connectionString, "Parity", signingKey);
        await using var server = ServerProcess.StartStandalone(settings);
        using var hasher = HashProcess.Start();
        await server.WaitUntilAnsweringAsync();
        using var client = new ApiClient(server.BaseAddress);
        var count = Count(40, 12);
        var emails = Enumerable.Range(0, count).Select(i => $"parity{i}@bench.test").ToArray();
        foreach (var address in emails)
        {
            await client.SignupTokenAsync(address);
        }

        // Warm: the server's hash loop reaches full speed after 15-25 logins (see the login overhead row).
        for (var i = 0; i < Count(30, 10); i++)
        {
            Expect(await ApiClient.TimeAsync(() => client.LoginAsync(emails[i % count])), 200, "warm-up login");
            await hasher.HashOnceMsAsync();
        }

        var gap = TimeSpan.FromMilliseconds(200);
        var logins = new List<double>();
        var faults = new List<long>();
        foreach (var address in emails)
        {
            await Task.Delay(gap);
            var faultsBefore = ProcessCpu.MinorFaults(server.Id);
            var login = await ApiClient.TimeAsync(() => client.LoginAsync(address));
            Expect(login, 200, "login");
            logins.Add(login.Milliseconds);
            faults.Add(ProcessCpu.MinorFaults(server.Id) - faultsBefore);
        }

        var hashes = new List<double>();
        for (var i = 0; i < count; i++)
        {
            await Task.Delay(gap);
            hashes.Add(await hasher.HashOnceMsAsync());
        }

        var (odd, even, ratio) = OddEven(logins);
        report.Add(new Row($"parity (issue 24): {count} sequential logins on different accounts, 0.2 s apart (Standalone process): median of the slower of odd/even positions vs the faster",
            $"{Ms(Math.Max(odd, even))} vs {Ms(Math.Min(odd, even))}", "≤ 1.2×", Ratio(ratio), ratio <= 1.2));
        var (hashOdd, hashEven, hashRatio) = OddEven(hashes);
        report.Note($"parity sequence (ms): {string.Join(", ", logins.Select(v => v.ToString("F0", System.Globalization.CultureInfo.InvariantCulture)))}; "
            + $"odd median {Ms(odd)}, even {Ms(even)}; the server's minor page faults per login: {string.Join(", ", faults)}. Control, bare hashes 0.2 s apart in a process of their own: odd {Ms(hashOdd)}, even {Ms(hashEven)} ({Ratio(hashRatio)}); "
            + $"sequence {string.Join(", ", hashes.Select(v => v.ToString("F0", System.Globalization.CultureInfo.InvariantCulture)))}.");
    }

    /// <summary>Medians of the 1st, 3rd, … and of the 2nd, 4th, … values, and the larger over the smaller.</summary>
    private static (double Odd, double Even, double Ratio) OddEven(IReadOnlyList<double> values)
    {
        var odd = Stats.Median(values.Where((_, i) => i % 2 == 0).ToList());
        var even = Stats.Median(values.Where((_, i) => i % 2 == 1).ToList());
        return (odd, even, Math.Max(odd, even) / Math.Min(odd, even));
    }
}
