using System.Globalization;

namespace Serverless.Benchmarks.Infrastructure;

/// <summary>Command line: <c>--out PATH</c>, <c>--soak-seconds N</c> (default 300), <c>--users N</c> (default 100000), <c>--quick</c> (short smoke run).</summary>
internal sealed record SuiteOptions(string? OutputPath, int SoakSeconds, int ScaleUsers, bool Quick)
{
    public static SuiteOptions Parse(string[] args)
    {
        string? output = null;
        int soak = 300, users = 100_000;
        var quick = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--out": output = Path.GetFullPath(args[++i]); break;
                case "--soak-seconds": soak = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--users": users = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--quick": quick = true; break;
                default: throw new ArgumentException($"unknown argument {args[i]}");
            }
        }

        if (quick)
        {
            soak = Math.Min(soak, 70);
            users = Math.Min(users, 5_000);
        }

        return new SuiteOptions(output, soak, users, quick);
    }
}
