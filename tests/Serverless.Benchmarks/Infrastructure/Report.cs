using System.Globalization;
using System.Text;

namespace Serverless.Benchmarks.Infrastructure;

/// <summary>One row of the results table. <see cref="Met"/> null: reported, no target.</summary>
internal sealed record Row(string What, string Measured, string Target, string Ratio, bool? Met);

internal sealed class Report
{
    private readonly List<Row> rows = [];
    private readonly List<string> notes = [];

    public string Machine { get; set; } = "";
    public TimeSpan Duration { get; set; }

    /// <summary>What ran, as the header says it: the whole suite, or the row groups of an <c>--only</c> run.</summary>
    public string Scope { get; set; } = "Whole suite";

    /// <summary>The command that reproduces the run.</summary>
    public string Command { get; set; } = "npm run bench";

    public void Add(Row row)
    {
        rows.Add(row);
        Console.WriteLine($"  => {row.What}: {row.Measured} | target {row.Target} | ratio {row.Ratio} | {MetText(row.Met)}");
    }

    public void Note(string note)
    {
        notes.Add(note);
        Console.WriteLine($"  .. {note}");
    }

    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Machine: {Machine}");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"{Scope}: {Duration.TotalMinutes:F1} min, one run (`{Command}`).");
        text.AppendLine();
        text.AppendLine("| what | measured | target | ratio | met? |");
        text.AppendLine("|---|---|---|---|---|");
        foreach (var row in rows)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {row.What} | {row.Measured} | {row.Target} | {row.Ratio} | {MetText(row.Met)} |");
        }

        if (notes.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("Breakdowns and notes (same run):");
            text.AppendLine();
            foreach (var note in notes)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"- {note}");
            }
        }

        return text.ToString();
    }

    /// <summary>
    /// A partial run's table inside an existing results file: its section (between markers named by
    /// <paramref name="key"/>) is replaced, or appended, and the rest of the file (the whole suite's
    /// table from its own run) is kept.
    /// </summary>
    public static string MergeInto(string existing, string key, string markdown)
    {
        var begin = $"<!-- partial run: {key} -->";
        var end = $"<!-- end of partial run: {key} -->";
        var section = $"{begin}\n## Partial run: {key}\n\nThese rows come from their own run, not from the whole-suite run above.\n\n{markdown.TrimEnd()}\n{end}\n";
        var start = existing.IndexOf(begin, StringComparison.Ordinal);
        var stop = existing.IndexOf(end, StringComparison.Ordinal);
        return start >= 0 && stop > start
            ? existing[..start] + section + existing[(stop + end.Length)..].TrimStart('\n')
            : existing.TrimEnd() + "\n\n" + section;
    }

    private static string MetText(bool? met) => met switch { true => "yes", false => "**no**", null => "—" };
}
