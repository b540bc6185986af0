using Serverless.Benchmarks.Infrastructure;
using Serverless.Auth.Protection;
using Serverless.Auth.Tokens;
using Serverless.Testing;

namespace Serverless.Benchmarks;

internal sealed partial class Suite
{
    /// <summary>
    /// The sample protected endpoint (<c>GET /api/me</c>, through the session authentication scheme: token checks and the
    /// in-memory revocation list, no storage) vs the same handler unprotected (<see cref="BareEndpoint.MePath"/>, over the
    /// principal the scheme makes for the same token, answering the same bytes), same host, wrk.
    /// </summary>
    private async Task ProtectedEndpointAsync(TestApi api, BareEndpoint bareEndpoint, ApiClient client)
    {
        Section("protected endpoint (wrk -t2 -c64) vs the same endpoint unprotected");
        var token = await client.SignupTokenAsync("protected@bench.test");
        var cookie = $"{ApiClient.CookieName}={token}";
        var meUrl = new Uri(api.BaseAddress, "/api/me");
        var bareUrl = new Uri(api.BaseAddress, BareEndpoint.MePath);
        using var request = new HttpRequestMessage(HttpMethod.Get, meUrl);
        request.Headers.Add("Cookie", cookie);
        using var me = await api.Client.SendAsync(request);
        var body = await me.Content.ReadAsByteArrayAsync();
        if (!me.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"GET /api/me answered {(int)me.StatusCode}");
        }

        var subject = await api.Service<AccessTokens>().ValidateAsync(token) ?? throw new InvalidOperationException("The token does not validate.");
        bareEndpoint.SetUser(SessionAuthenticationHandler.PrincipalOf(subject, SessionAuthentication.Scheme));
        var bareBody = await api.Client.GetByteArrayAsync(bareUrl);
        if (!bareBody.AsSpan().SequenceEqual(body))
        {
            throw new InvalidOperationException($"The unprotected handler answered {System.Text.Encoding.UTF8.GetString(bareBody)}, not {System.Text.Encoding.UTF8.GetString(body)}.");
        }

        var seconds = Count(4, 2);
        var pairs = Count(5, 1);
        await Wrk.RunAsync(meUrl, 2, 64, 3, cookie);
        await Wrk.RunAsync(bareUrl, 2, 64, 3, cookie);
        var protectedRuns = new List<WrkResult>();
        var bareRuns = new List<WrkResult>();
        var protectedCpu = new List<double>();
        var bareCpu = new List<double>();
        var protectedAllocated = new List<double>();
        var bareAllocated = new List<double>();
        for (var pair = 0; pair < pairs; pair++)
        {
            var (protectedRun, protectedCpuUs) = await WrkWithServerCpuAsync(meUrl, seconds, cookie);
            protectedRuns.Add(protectedRun);
            protectedCpu.Add(protectedCpuUs);
            protectedAllocated.Add(lastAllocationPerRequest);
            var (bareRun, bareCpuUs) = await WrkWithServerCpuAsync(bareUrl, seconds, cookie);
            bareRuns.Add(bareRun);
            bareCpu.Add(bareCpuUs);
            bareAllocated.Add(lastAllocationPerRequest);
        }

        var ratios = protectedRuns.Zip(bareRuns, (p, b) => p.RequestsPerSecond / b.RequestsPerSecond).ToList();
        var ratio = Stats.Median(ratios);
        var non2xx = protectedRuns.Sum(r => r.Non2xx);
        report.Add(new Row($"protected endpoint: `GET /api/me` (sample, session scheme) with a valid cookie, wrk -t2 -c64, {pairs} alternating {seconds}-s runs each, vs the same handler unprotected (same {body.Length}-byte JSON), same host",
            $"{Stats.Median(protectedRuns.Select(r => r.RequestsPerSecond).ToList()):F0} req/s vs {Stats.Median(bareRuns.Select(r => r.RequestsPerSecond).ToList()):F0} req/s",
            "≥ 0.85×", Ratio(ratio), ratio >= 0.85 && non2xx == 0));
        report.Note($"protected endpoint wrk: per-pair ratios {string.Join(", ", ratios.Select(Ratio))}; non-2xx {non2xx} of {protectedRuns.Sum(r => r.Requests)}. "
            + $"Server CPU per request (medians; wrk shares the 2 cores): {Stats.Median(protectedCpu):F1} µs protected vs {Stats.Median(bareCpu):F1} µs unprotected "
            + $"(the scheme: {Stats.Median(protectedCpu) - Stats.Median(bareCpu):F1} µs, with ASP.NET Core's authentication and authorization middleware); "
            + $"allocated per request {Stats.Median(protectedAllocated) / 1024:F1} KiB vs {Stats.Median(bareAllocated) / 1024:F1} KiB.");
    }
}
