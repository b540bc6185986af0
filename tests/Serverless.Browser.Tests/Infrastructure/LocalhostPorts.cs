using Microsoft.AspNetCore.Builder;
using Serverless.Testing;

namespace Serverless.Browser.Tests.Infrastructure;

/// <summary>
/// Servers on http://localhost:&lt;port&gt;. Kestrel cannot bind "localhost" to port 0, so ports are chosen
/// free just before binding; when another process takes one in between, the app is built again on new ones.
/// </summary>
internal static class LocalhostPorts
{
    public static int Free() => AzuriteProcess.FreeTcpPort();

    public static async Task<(WebApplication App, T Ports)> StartAsync<T>(Func<(WebApplication App, T Ports)> build, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (app, ports) = build();
            try
            {
                await app.StartAsync(cancellationToken);
                return (app, ports);
            }
            catch (IOException) when (attempt < 3)
            {
                await app.DisposeAsync();
            }
        }
    }
}
