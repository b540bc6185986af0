using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;
using IPNetwork = System.Net.IPNetwork;

namespace Serverless.Standalone;

/// <summary>
/// <c>Standalone:ForwardedHeadersProxies</c> (env <c>Standalone__ForwardedHeadersProxies</c>): the
/// proxies, IPs or CIDRs, comma-separated, whose X-Forwarded-For/-Proto/-Host/-Prefix this host
/// applies before any endpoint runs, the way the Functions worker applies the ones its host sets:
/// all four headers, one hop (ForwardLimit 1). The worker trusts the whole loopback range, since only
/// the host can reach it; here the list is exact, so a client that bypasses the proxy is not believed.
/// Empty (the default): nothing is applied; the TCP peer is the client.
/// </summary>
internal sealed class StandaloneProxyOptions
{
    public const string Section = "Standalone";

    public string? ForwardedHeadersProxies { get; set; }

    public string[] Entries => (ForwardedHeadersProxies ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

internal sealed class StandaloneProxyOptionsValidator : IValidateOptions<StandaloneProxyOptions>
{
    public ValidateOptionsResult Validate(string? name, StandaloneProxyOptions options)
    {
        var malformed = options.Entries.Where(e => !IPNetwork.TryParse(e, out _) && !IPAddress.TryParse(e, out _)).ToArray();
        return malformed.Length > 0
            ? ValidateOptionsResult.Fail($"Standalone__ForwardedHeadersProxies must hold IP addresses or CIDR ranges; not: {string.Join(", ", malformed)}")
            : ValidateOptionsResult.Success;
    }
}

internal static class ForwardedHeadersExtensions
{
    public static WebApplicationBuilder AddProxyForwardedHeaders(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptionsWithValidateOnStart<StandaloneProxyOptions, StandaloneProxyOptionsValidator>().BindConfiguration(StandaloneProxyOptions.Section);
        builder.Services.AddOptions<ForwardedHeadersOptions>()
            .Configure<IOptions<StandaloneProxyOptions>>((forwarded, proxies) =>
            {
                // As the worker's ASP.NET Core integration: every X-Forwarded-* header, one hop.
                forwarded.ForwardedHeaders = ForwardedHeaders.All;
                forwarded.ForwardLimit = 1;
                forwarded.KnownIPNetworks.Clear();
                forwarded.KnownProxies.Clear();
                foreach (var entry in proxies.Value.Entries)
                {
                    if (IPAddress.TryParse(entry, out var address))
                    {
                        forwarded.KnownProxies.Add(address);
                    }
                    else
                    {
                        forwarded.KnownIPNetworks.Add(IPNetwork.Parse(entry));
                    }
                }
            });
        return builder;
    }

    /// <summary>The middleware only when proxies are listed: with none, headers are left alone.</summary>
    public static WebApplication UseProxyForwardedHeaders(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<StandaloneProxyOptions>>().Value.Entries.Length > 0)
        {
            app.UseForwardedHeaders();
        }

        return app;
    }
}
