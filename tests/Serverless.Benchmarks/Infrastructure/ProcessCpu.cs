using System.Globalization;

namespace Serverless.Benchmarks.Infrastructure;

/// <summary>Figures of a process from /proc/PID/stat.</summary>
internal static class ProcessCpu
{
    /// <summary>CPU time (utime + stime, clock ticks of 1/100 s).</summary>
    public static TimeSpan Of(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0);
    }

    /// <summary>Minor page faults of a process so far (/proc/PID/stat minflt): first touches of fresh memory.</summary>
    public static long MinorFaults(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[7], CultureInfo.InvariantCulture);
    }

    /// <summary>The Azurite table process listening on <paramref name="port"/>, found by its command line.</summary>
    public static int? AzuritePid(int port)
    {
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), out var pid))
            {
                continue;
            }

            try
            {
                var commandLine = File.ReadAllText(Path.Combine(folder, "cmdline")).Split('\0');
                var index = Array.IndexOf(commandLine, "--tablePort");
                if (index >= 0 && index + 1 < commandLine.Length && commandLine[index + 1] == port.ToString(CultureInfo.InvariantCulture)
                    && commandLine.Any(a => a.Contains("node", StringComparison.Ordinal) || a.Contains("azurite", StringComparison.Ordinal)))
                {
                    return pid;
                }
            }
            catch (IOException)
            {
                // The process ended meanwhile.
            }
            catch (UnauthorizedAccessException)
            {
                // Not ours.
            }
        }

        return null;
    }
}
