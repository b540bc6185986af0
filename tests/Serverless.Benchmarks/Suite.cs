using System.Diagnostics;
using System.Security.Cryptography;
using Serverless.Auth.Passwords;
using Serverless.Benchmarks.Infrastructure;
using Serverless.Testing;

namespace Serverless.Benchmarks;

/// <summary>
/// Every row of the targets table, measured in one run: in-process host for the per-request
/// figures (so a bare endpoint can share the host), separate Standalone processes where RSS, start-up
/// or two instances matter. Targets are reported, not asserted: only harness failures throw.
/// </summary>
internal sealed partial class Suite(SuiteOptions options)
{
    /// <summary>The product defaults (Auth__Argon2__*): OWASP m=19 MiB, t=2, p=1.</summary>
    internal static readonly Argon2Parameters Defaults = new(19456, 2, 1);

    private readonly Report report = new();
    private readonly Stopwatch clock = new();
    private double hasherP50;
    private int? azuritePid;

    private static int Cores => Environment.ProcessorCount;

    public async Task<Report> RunAsync()
    {
        clock.Start();
        // StandaloneApp reads local.settings.json from the working folder: keep the repo's out of the run.
        Environment.CurrentDirectory = Directory.CreateTempSubdirectory("bench-cwd-").FullName;
        report.Machine = await MachineInfo.DescribeAsync();
        if (options.Selection is { } groups)
        {
            report.Scope = $"Rows {groups} only";
            report.Command = $"npm run bench -- --only {groups}" + (options.Quick ? " --quick" : "");
        }
        else if (options.Quick)
        {
            report.Command = "npm run bench -- --quick";
        }

        Section("machine: " + report.Machine);

        await using var azurite = await AzuriteProcess.StartNewAsync();
        azuritePid = ProcessCpu.AzuritePid(azurite.Port);
        var signingKey = TestApi.NewSigningKey();

        string[] inProcess = ["login", "verify", "protected", "enumeration", "load", "refresh", "email", "mfa", "passkey"];
        if (inProcess.Any(options.Runs))
        {
            var bare = new BareEndpoint();
            await using var api = await TestApi.StartAsync(ApiSettings.Create(azurite.ConnectionString, MainTables, signingKey), ApiSettings.WithoutMailSender, bare.Map);
            using var client = new ApiClient(api.BaseAddress);
            if (options.Runs("login"))
            {
                await LoginOverheadAsync(azurite.ConnectionString, signingKey);
                await ReferenceCliAsync();
                await LoginSaturationAsync(client);
            }

            await RunIfAsync("verify", () => VerifyThroughputAsync(api, bare, client, azurite.ConnectionString));
            await RunIfAsync("protected", () => ProtectedEndpointAsync(api, bare, client));
            await RunIfAsync("enumeration", () => EnumerationAsync(client));
            await RunIfAsync("load", () => ConcurrentLoginsAsync(client));
            await RunIfAsync("refresh", () => RefreshAsync(api, client, azurite.ConnectionString));
            await RunIfAsync("email", () => EmailRequestsAsync(api, client));
            await RunIfAsync("mfa", () => MfaAsync(api));
            await RunIfAsync("passkey", () => PasskeyAsync(api, client, azurite.ConnectionString));
        }

        // In-process too, on an API instance of its own: its provider stub must be listening before the API starts.
        await RunIfAsync("oidc", () => OidcAsync(azurite.ConnectionString, signingKey));

        // In-process, two API instances of their own: the stored event log on and off.
        await RunIfAsync("events", () => EventsAsync(azurite.ConnectionString, signingKey));

        await RunIfAsync("parity", () => ParityAsync(azurite.ConnectionString, signingKey));
        await RunIfAsync("layout", () => LayoutAsync(azurite.ConnectionString, signingKey));
        await RunIfAsync("revocation", () => RevocationAndStartupAsync(azurite.ConnectionString, signingKey));
        await RunIfAsync("memory", () => MemoryAsync(azurite.ConnectionString, signingKey));
        await RunIfAsync("scale", () => ScaleAsync(signingKey));
        await RunIfAsync("scale2", () => RevocationScaleAsync(signingKey));
        await RunIfAsync("soak", () => SoakAsync(azurite.ConnectionString, signingKey));

        report.Note($"load average at the end of the run: {MachineInfo.LoadAverage()} (1/5/15 min; with {Cores} cores, anything above ~1 from outside the suite skews the CPU-bound rows).");
        report.Duration = clock.Elapsed;
        return report;
    }

    /// <summary>The table suffix of the in-process API's instance (its tables are UsersMain, SessionsMain, …).</summary>
    private const string MainTables = "Main";

    private Task RunIfAsync(string group, Func<Task> rows) => options.Runs(group) ? rows() : Task.CompletedTask;

    /// <summary>Full count, or a small one for <c>--quick</c> smoke runs.</summary>
    private int Count(int full, int quick) => options.Quick ? quick : full;

    private void Section(string title) => Console.WriteLine($"[{clock.Elapsed:mm\\:ss}] {title}");

    private static double HashOnceMs()
    {
        var started = Stopwatch.GetTimestamp();
        PasswordHasher.Compute(ApiClient.Password, RandomNumberGenerator.GetBytes(16), Defaults);
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    /// <summary>After <paramref name="warmUp"/>, for <paramref name="window"/>: the machine's busy fraction, this process's CPU time and Azurite's.</summary>
    private async Task<(double Busy, TimeSpan Own, TimeSpan Azurite)> MeasureCpuAsync(TimeSpan warmUp, TimeSpan window)
    {
        await Task.Delay(warmUp);
        var cpu = new CpuMeter();
        var ownBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var azuriteBefore = azuritePid is { } pid ? ProcessCpu.Of(pid) : TimeSpan.Zero;
        await Task.Delay(window);
        return (cpu.BusyFraction(), Process.GetCurrentProcess().TotalProcessorTime - ownBefore,
            azuritePid is { } pid2 ? ProcessCpu.Of(pid2) - azuriteBefore : TimeSpan.Zero);
    }

    private static double ElapsedMs(long since) => Stopwatch.GetElapsedTime(since).TotalMilliseconds;

    private static string Ms(double value) => value >= 100 ? $"{value:F0} ms" : $"{value:F1} ms";

    private static string Ratio(double value) => $"{value:F2}×";

    private static void Expect(Outcome outcome, int status, string what)
    {
        if (outcome.Status != status)
        {
            throw new InvalidOperationException($"{what}: expected {status}, got {outcome.Status}: {System.Text.Encoding.UTF8.GetString(outcome.Body)}");
        }
    }
}
