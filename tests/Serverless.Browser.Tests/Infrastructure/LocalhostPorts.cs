using Serverless.Testing;

namespace Serverless.Browser.Tests.Infrastructure;

/// <summary>
/// Servers on http://localhost:&lt;port&gt;. Kestrel cannot bind "localhost" to port 0, so ports are chosen
/// free just before binding; when another process takes one in between, the server is started again on new ones.
/// </summary>
internal static class LocalhostPorts
{
    public static int Free() => AzuriteProcess.FreeTcpPort();

    /// <summary>Runs <paramref name="start"/> (which picks its ports with <see cref="Free"/> and cleans up when it fails) up to three times.</summary>
    public static async Task<T> StartAsync<T>(Func<Task<T>> start)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await start();
            }
            catch (IOException) when (attempt < 3)
            {
                // A port was taken between choosing and binding: choose again.
            }
        }
    }
}
