using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Serverless.Auth.Passwords;

namespace Serverless.Benchmarks.Infrastructure;

/// <summary>
/// A bare Konscious hash in a warm process of its own (this program with <c>--hash-server</c>): the
/// login row's yardstick. Each line on its stdin asks for one hash with the product defaults; it
/// answers the hash's own time in ms. A separate process, so the login's server and this hasher do
/// not share a heap or a GC, and the hasher's figure is the hash alone.
/// </summary>
internal sealed class HashProcess : IDisposable
{
    private readonly Process process;

    private HashProcess(Process process) => this.process = process;

    public static HashProcess Start()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(HashProcess).Assembly.Location);
        start.ArgumentList.Add("--hash-server");
        return new HashProcess(Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start"));
    }

    /// <summary>One hash in the other process; its own stopwatch, so no pipe latency is counted.</summary>
    public async Task<double> HashOnceMsAsync()
    {
        await process.StandardInput.WriteLineAsync("hash");
        await process.StandardInput.FlushAsync();
        var line = await process.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException("the hash process exited");
        return double.Parse(line, CultureInfo.InvariantCulture);
    }

    /// <summary>The <c>--hash-server</c> loop: one hash per input line, its milliseconds on stdout.</summary>
    public static void Serve(Argon2Parameters parameters)
    {
        while (Console.ReadLine() is not null)
        {
            var started = Stopwatch.GetTimestamp();
            PasswordHasher.Compute(ApiClient.Password, RandomNumberGenerator.GetBytes(16), parameters);
            Console.Out.WriteLine(Stopwatch.GetElapsedTime(started).TotalMilliseconds.ToString("R", CultureInfo.InvariantCulture));
            Console.Out.Flush();
        }
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill();
            process.WaitForExit();
        }

        process.Dispose();
    }
}
