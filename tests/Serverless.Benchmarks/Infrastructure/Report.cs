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
        text.AppendLine(CultureInfo.InvariantCulture, $"Whole suite: {Duration.TotalMinutes:F1} min, one run (`npm run bench`).");
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

    private static string MetText(bool? met) => met switch { true => "yes", false => "**no**", null => "—" };
}
