namespace Serverless.Benchmarks.Infrastructure;

internal static class Stats
{
    /// <summary>Nearest-rank percentile (0-100) of the samples.</summary>
    public static double Percentile(IEnumerable<double> samples, double percentile)
    {
        var sorted = samples.Order().ToArray();
        if (sorted.Length == 0)
        {
            throw new InvalidOperationException("no samples");
        }

        var rank = (int)Math.Ceiling(percentile / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public static double Median(IEnumerable<double> samples) => Percentile(samples, 50);
}
