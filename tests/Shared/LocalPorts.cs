using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Serverless.Testing;

/// <summary>Loopback ports for the local servers the tests start (Azurite, maildev).</summary>
public static class LocalPorts
{
    public static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Waits up to 30 s for <paramref name="port"/> to accept connections; fails early when one of the server's processes exits.</summary>
    public static async Task WaitUntilListeningAsync(int port, string server, Func<IEnumerable<Process>> processes)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (processes().FirstOrDefault(p => p.HasExited) is { } exited)
            {
                throw new InvalidOperationException($"{server} exited with code {exited.ExitCode}.");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        throw new TimeoutException($"{server} did not listen on port {port} within 30 s.");
    }
}
