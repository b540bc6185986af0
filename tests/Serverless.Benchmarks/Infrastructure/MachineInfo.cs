using System.Runtime.InteropServices;
using Serverless.Testing;

namespace Serverless.Benchmarks.Infrastructure;

internal static class MachineInfo
{
    public static async Task<string> DescribeAsync()
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        var memKiB = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)).Split(':')[1].Trim().Split(' ')[0];
        var memGiB = double.Parse(memKiB, System.Globalization.CultureInfo.InvariantCulture) / 1024 / 1024;
        var sdk = (await Command.RunAsync("dotnet", ["--version"], TimeSpan.FromMinutes(1))).StandardOutput;
        return $"{Environment.ProcessorCount} cores (nproc), {memGiB:F1} GiB RAM, {cpu}; .NET SDK {sdk.Trim()}, {RuntimeInformation.FrameworkDescription}; {RuntimeInformation.OSDescription}; {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC; load average at start {LoadAverage()}";
    }

    /// <summary>1/5/15-minute load averages: other work on the machine skews every CPU-bound figure.</summary>
    public static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
}
