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

    public static Task<(WebApplication App, T Ports)> StartAsync<T>(Func<(WebApplication App, T Ports)> build, CancellationToken cancellationToken = default) =>
        RetryAsync(async () =>
        {
            var (app, ports) = build();
            try
            {
                await app.StartAsync(cancellationToken);
                return (app, ports);
            }
            catch (IOException)
            {
                await app.DisposeAsync();
                throw;
            }
        });

    /// <summary>Runs a start that picks its ports again each time, up to three times while a port was taken meanwhile.</summary>
    public static async Task<T> RetryAsync<T>(Func<Task<T>> start)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await start();
            }
            catch (IOException) when (attempt < 3)
            {
            }
        }
    }
}
