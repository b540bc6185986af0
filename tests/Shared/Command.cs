using System.Diagnostics;

namespace Serverless.Testing;

/// <summary>One finished run of a command-line tool.</summary>
public sealed record CommandResult(int ExitCode, string StandardOutput, string StandardError);

/// <summary>Runs a command-line tool to completion (argon2, bicep, wrk, ...): arguments as a list, no shell.</summary>
public static class Command
{
    /// <param name="environment">Variables to set; a null value removes the variable for the child.</param>
    public static async Task<CommandResult> RunAsync(
        string file,
        IEnumerable<string> arguments,
        TimeSpan timeout,
        string? standardInput = null,
        string? workingDirectory = null,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var argumentList = arguments.ToList();
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardInput = standardInput is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? string.Empty,
        };
        argumentList.ForEach(start.ArgumentList.Add);
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
            process.StandardInput.Close();
        }

        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', argumentList)} did not finish within {timeout.TotalSeconds:F0} s.");
        }

        return new CommandResult(process.ExitCode, await stdout, await stderr);
    }
}
