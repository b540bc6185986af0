using System.Globalization;

namespace Serverless.Benchmarks.Infrastructure;

/// <summary>Machine-wide CPU busy fraction between two reads of /proc/stat.</summary>
internal sealed class CpuMeter
{
    private readonly (long Busy, long Total) start = Read();

    public double BusyFraction()
    {
        var end = Read();
        var total = end.Total - start.Total;
        return total == 0 ? 0 : (double)(end.Busy - start.Busy) / total;
    }

    private static (long Busy, long Total) Read()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..]
            .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        var total = fields.Take(8).Sum();
        var idle = fields[3] + fields[4];
        return (total - idle, total);
    }
}
