using System.Globalization;

namespace Serverless.Benchmarks.Infrastructure;

/// <summary>
/// Command line: <c>--out PATH</c>, <c>--soak-seconds N</c> (default 300), <c>--users N</c> (default 100000),
/// <c>--quick</c> (short smoke run), <c>--only GROUP[,GROUP…]</c> (run only those row groups; see <see cref="Groups"/>).
/// </summary>
internal sealed record SuiteOptions(string? OutputPath, int SoakSeconds, int ScaleUsers, bool Quick, IReadOnlySet<string>? Only)
{
    /// <summary>The row groups, in run order: the unit <c>--only</c> selects (rows that share measurements run together).</summary>
    public static readonly string[] Groups = ["login", "verify", "protected", "enumeration", "load", "refresh", "email", "mfa", "passkey", "oidc", "events", "parity", "layout", "revocation", "memory", "scale", "scale2", "soak"];

    /// <summary>The selected groups in run order (e.g. <c>refresh</c>), or null for the whole suite.</summary>
    public string? Selection => Only is null ? null : string.Join(",", Groups.Where(Only.Contains));

    public bool Runs(string group) => Only?.Contains(group) ?? true;

    public static SuiteOptions Parse(string[] args)
    {
        string? output = null;
        int soak = 300, users = 100_000;
        var quick = false;
        HashSet<string>? only = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--out": output = Path.GetFullPath(args[++i]); break;
                case "--soak-seconds": soak = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--users": users = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--quick": quick = true; break;
                case "--only": only = ParseGroups(args[++i]); break;
                default: throw new ArgumentException($"unknown argument {args[i]}");
            }
        }

        if (quick)
        {
            soak = Math.Min(soak, 70);
            users = Math.Min(users, 5_000);
        }

        return new SuiteOptions(output, soak, users, quick, only);
    }

    private static HashSet<string> ParseGroups(string value)
    {
        var groups = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        if (groups.Count == 0 || !groups.IsSubsetOf(Groups))
        {
            throw new ArgumentException($"--only takes a comma-separated list of row groups: {string.Join(", ", Groups)}");
        }

        return groups;
    }
}
