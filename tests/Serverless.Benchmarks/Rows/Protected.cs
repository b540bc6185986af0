using Serverless.Benchmarks.Infrastructure;
using Serverless.Testing;

namespace Serverless.Benchmarks;

internal sealed partial class Suite
{
    /// <summary>
    /// The sample protected endpoint (<c>GET /api/me</c>, through the session authentication scheme: token checks and the
    /// in-memory revocation list, no storage) vs the bare endpoint answering the same JSON unprotected, same host, wrk.
    /// </summary>
    private async Task ProtectedEndpointAsync(TestApi api, BareEndpoint bareEndpoint, ApiClient client)
    {
        Section("protected endpoint (wrk -t2 -c64) vs the same endpoint unprotected");
        var token = await client.SignupTokenAsync("protected@bench.test");
        var cookie = $"{ApiClient.CookieName}={token}";
        var meUrl = new Uri(api.BaseAddress, "/api/me");
        var bareUrl = new Uri(api.BaseAddress, BareServer.Path);
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, meUrl);
        request.Headers.Add("Cookie", cookie);
        using var me = await http.SendAsync(request);
        var body = await me.Content.ReadAsByteArrayAsync();
        if (!me.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"GET /api/me answered {(int)me.StatusCode}");
        }

        bareEndpoint.SetBody(body);
        var seconds = Count(4, 2);
        var pairs = Count(3, 1);
        await Wrk.RunAsync(meUrl, 2, 64, 3, cookie);
        await Wrk.RunAsync(bareUrl, 2, 64, 3, cookie);
        var protectedRuns = new List<WrkResult>();
        var bareRuns = new List<WrkResult>();
        for (var pair = 0; pair < pairs; pair++)
        {
            protectedRuns.Add((await WrkWithServerCpuAsync(meUrl, seconds, cookie)).Item1);
            bareRuns.Add((await WrkWithServerCpuAsync(bareUrl, seconds, cookie)).Item1);
        }

        var ratios = protectedRuns.Zip(bareRuns, (p, b) => p.RequestsPerSecond / b.RequestsPerSecond).ToList();
        var ratio = Stats.Median(ratios);
        var non2xx = protectedRuns.Sum(r => r.Non2xx);
        report.Add(new Row($"protected endpoint: `GET /api/me` (sample, session scheme) with a valid cookie, wrk -t2 -c64, {pairs} alternating {seconds}-s runs each, vs the same {body.Length}-byte JSON unprotected, same host",
            $"{Stats.Median(protectedRuns.Select(r => r.RequestsPerSecond).ToList()):F0} req/s vs {Stats.Median(bareRuns.Select(r => r.RequestsPerSecond).ToList()):F0} req/s",
            "≥ 0.85×", Ratio(ratio), ratio >= 0.85 && non2xx == 0));
        report.Note($"protected endpoint wrk: per-pair ratios {string.Join(", ", ratios.Select(Ratio))}; non-2xx {non2xx} of {protectedRuns.Sum(r => r.Requests)}.");
    }
}
