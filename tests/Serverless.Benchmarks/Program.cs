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

// `--hash-server`: the login row's yardstick, bare hashes in a warm process of their own.
if (args is ["--hash-server"])
{
    HashProcess.Serve(Suite.Defaults);
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
        // A partial run (--only) keeps the whole suite's table in the file and adds or replaces its own section.
        var text = options.Selection is { } key && File.Exists(path) ? Report.MergeInto(await File.ReadAllTextAsync(path), key, markdown) : markdown;
        await File.WriteAllTextAsync(path, text);
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
