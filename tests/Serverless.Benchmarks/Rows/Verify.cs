using System.Diagnostics;
using System.Security.Cryptography;
using Serverless.Auth.Http;
using Serverless.Auth.Tokens;
using Serverless.Benchmarks.Infrastructure;
using Serverless.Testing;

namespace Serverless.Benchmarks;

internal sealed partial class Suite
{
    /// <summary>Row 3, both signing modes: the in-process HS256 host, then an in-process ES256 host on the same Azurite.</summary>
    private async Task VerifyThroughputAsync(TestApi api, BareEndpoint bareEndpoint, ApiClient client, string connectionString)
    {
        await VerifyThroughputAsync("HS256", api, bareEndpoint, client);
        var settings = ApiSettings.Create(connectionString, "Es", TestApi.NewSigningKey());
        settings.Remove("Auth:Jwt:SigningKey");
        using (var key = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            settings["Auth:Jwt:SigningKeysPem"] = key.ExportPkcs8PrivateKeyPem();
        }

        var es256Bare = new BareEndpoint();
        await using var es256 = await TestApi.StartAsync(settings, map: es256Bare.Map);
        using var es256Client = new ApiClient(es256.BaseAddress);
        await VerifyThroughputAsync("ES256", es256, es256Bare, es256Client);
    }

    /// <summary>wrk on verify with a valid cookie vs a bare endpoint returning the same JSON on the same host.</summary>
    private async Task VerifyThroughputAsync(string mode, TestApi api, BareEndpoint bareEndpoint, ApiClient client)
    {
        Section($"verify throughput ({mode}, wrk -t2 -c64) vs bare endpoint");
        var token = await client.SignupTokenAsync($"verify-{mode}@bench.test");
        var verify = await ApiClient.TimeAsync(() => client.VerifyAsync(token));
        Expect(verify, 200, "verify");
        bareEndpoint.SetBody(verify.Body);
        var bare = await ApiClient.TimeAsync(() => client.GetAsync(BareServer.Path));
        Expect(bare, 200, "bare");
        if (bare.Body.Length != verify.Body.Length)
        {
            throw new InvalidOperationException("bare body differs in size from verify's");
        }

        var cookie = $"{ApiClient.CookieName}={token}";
        var verifyUrl = new Uri(api.BaseAddress, AuthApi.Verify.Path);
        var bareUrl = new Uri(api.BaseAddress, BareServer.Path);
        // Alternating runs, so drift on the shared 2-core machine (wrk runs on it too) hits both alike; the row's
        // ratio is the median of the per-pair ratios.
        var seconds = Count(4, 2);
        var pairs = Count(3, 1);
        await Wrk.RunAsync(verifyUrl, 2, 64, 3, cookie);
        await Wrk.RunAsync(bareUrl, 2, 64, 3, cookie);
        var verifyRuns = new List<(WrkResult Run, double CpuUs, double Alloc, int Gen0)>();
        var bareRuns = new List<(WrkResult Run, double CpuUs, double Alloc, int Gen0)>();
        for (var pair = 0; pair < pairs; pair++)
        {
            var (verifyRun, verifyCpu) = await WrkWithServerCpuAsync(verifyUrl, seconds, cookie);
            verifyRuns.Add((verifyRun, verifyCpu, lastAllocationPerRequest, lastGen0));
            var (bareRun, bareCpu) = await WrkWithServerCpuAsync(bareUrl, seconds, cookie);
            bareRuns.Add((bareRun, bareCpu, lastAllocationPerRequest, lastGen0));
        }

        var ratios = verifyRuns.Zip(bareRuns, (v, b) => v.Run.RequestsPerSecond / b.Run.RequestsPerSecond).ToList();
        var ratio = Stats.Median(ratios);
        var verifyRps = Stats.Median(verifyRuns.Select(r => r.Run.RequestsPerSecond).ToList());
        var bareRps = Stats.Median(bareRuns.Select(r => r.Run.RequestsPerSecond).ToList());
        var verifyCpuUs = Stats.Median(verifyRuns.Select(r => r.CpuUs).ToList());
        var bareCpuUs = Stats.Median(bareRuns.Select(r => r.CpuUs).ToList());
        var verifyNon2xx = verifyRuns.Sum(r => r.Run.Non2xx);
        report.Note($"verify {mode} allocations: {Stats.Median(verifyRuns.Select(r => r.Alloc).ToList()) / 1024:F1} KiB per verify request ({verifyRuns.Sum(r => r.Gen0)} gen0 GCs) "
            + $"vs {Stats.Median(bareRuns.Select(r => r.Alloc).ToList()) / 1024:F1} KiB per bare request ({bareRuns.Sum(r => r.Gen0)} gen0 GCs).");
        report.Add(new Row($"verify throughput ({mode}): `GET /api/auth/verify` with a valid cookie, wrk -t2 -c64, {pairs} alternating {seconds}-s runs each, vs bare endpoint, same host, same {verify.Body.Length}-byte JSON",
            $"{verifyRps:F0} req/s vs {bareRps:F0} req/s", "≥ 0.85×", Ratio(ratio),
            ratio >= 0.85 && verifyNon2xx == 0));
        report.Note($"verify {mode} wrk: per-pair ratios {string.Join(", ", ratios.Select(Ratio))}; {verifyRuns.Sum(r => r.Run.Requests)} verify requests, non-2xx {verifyNon2xx}, "
            + $"socket errors {string.Join("/", verifyRuns.Select(r => r.Run.SocketErrors).Distinct())}; bare: {bareRuns.Sum(r => r.Run.Requests)} requests, non-2xx {bareRuns.Sum(r => r.Run.Non2xx)}. "
            + $"wrk shares the {Cores} cores with the server.");
        await VerifyComponentsAsync(mode, api, token, verifyCpuUs, bareCpuUs);
    }

    /// <summary>wrk plus the server's CPU time per request (the server is this process; its client side is idle meanwhile).</summary>
    private static async Task<(WrkResult Run, double CpuMicroseconds)> WrkWithServerCpuAsync(Uri url, int seconds, string cookie)
    {
        var before = Process.GetCurrentProcess().TotalProcessorTime;
        var allocatedBefore = GC.GetTotalAllocatedBytes();
        var gen0Before = GC.CollectionCount(0);
        var run = await Wrk.RunAsync(url, 2, 64, seconds, cookie);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - before;
        lastAllocationPerRequest = (double)(GC.GetTotalAllocatedBytes() - allocatedBefore) / run.Requests;
        lastGen0 = GC.CollectionCount(0) - gen0Before;
        return (run, cpu.TotalMicroseconds / run.Requests);
    }

    private static double lastAllocationPerRequest;
    private static int lastGen0;

    /// <summary>Component costs of verify, single thread, in this process: where the per-request CPU goes.</summary>
    private async Task VerifyComponentsAsync(string mode, TestApi api, string token, double verifyCpuUs, double bareCpuUs)
    {
        var tokens = api.Service<AccessTokens>();
        var revocations = api.Service<RevocationList>();
        var subject = await tokens.ValidateAsync(token) ?? throw new InvalidOperationException("token does not validate");
        var iterations = Count(20_000, 5_000);
        for (var i = 0; i < 2_000; i++)
        {
            await tokens.ValidateAsync(token);
            await revocations.IsRevokedAsync(subject, CancellationToken.None);
        }

        // A token seen before (the validated-token cache answers) and tokens seen for the first time (full validation).
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < iterations; i++)
        {
            await tokens.ValidateAsync(token);
        }

        var cachedUs = Stopwatch.GetElapsedTime(started).TotalMicroseconds / iterations;
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        await tokens.ValidateAsync(token);
        var cachedBytes = GC.GetAllocatedBytesForCurrentThread() - allocated;
        var fresh = Enumerable.Range(0, iterations / 10).Select(i => tokens.Issue(subject.UserId, subject.Email, subject.SessionId).Value).ToList();
        started = Stopwatch.GetTimestamp();
        foreach (var value in fresh)
        {
            await tokens.ValidateAsync(value);
        }

        var fullUs = Stopwatch.GetElapsedTime(started).TotalMicroseconds / fresh.Count;
        started = Stopwatch.GetTimestamp();
        for (var i = 0; i < iterations; i++)
        {
            await revocations.IsRevokedAsync(subject, CancellationToken.None);
        }

        var revokedUs = Stopwatch.GetElapsedTime(started).TotalMicroseconds / iterations;
        report.Note($"verify {mode} CPU: the server spent {verifyCpuUs:F0} µs of CPU per verify request vs {bareCpuUs:F0} µs per bare request "
            + $"(difference {verifyCpuUs - bareCpuUs:F0} µs). Components, one thread: JWT validation of a token seen before (validated-token cache: SHA-256 + lifetime recheck) "
            + $"{cachedUs:F1} µs and {cachedBytes} bytes allocated per call ({iterations} calls); full validation of a token seen for the first time (JsonWebTokenHandler, {mode}, "
            + $"iss/aud/typ/lifetime) {fullUs:F1} µs ({fresh.Count} tokens); in-memory revocation check {revokedUs:F2} µs.");
    }
}
