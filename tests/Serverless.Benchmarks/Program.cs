using System.Globalization;
using Serverless.Benchmarks;
using Serverless.Benchmarks.Infrastructure;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

// `--bare-server PORT`: the baseline for the start-up row, a bare ASP.NET Core app with one JSON endpoint.
if (args is ["--bare-server", var port])
{
    BareServer.Run(int.Parse(port, CultureInfo.InvariantCulture));
    return 0;
}

var options = SuiteOptions.Parse(args);
try
{
    var report = await new Suite(options).RunAsync();
    var markdown = report.ToMarkdown();
    Console.WriteLine();
    Console.WriteLine(markdown);
    if (options.OutputPath is { } path)
    {
        await File.WriteAllTextAsync(path, markdown);
        Console.WriteLine($"written: {path}");
    }

    return 0;
}
catch (Exception e)
{
    // Harness failure (not a missed target): the run itself could not complete.
    Console.Error.WriteLine("benchmark harness failed: " + e);
    return 1;
}
