using System.Net;
using System.Net.Sockets;

namespace Metronome.Testing;

public static class FreePort
{
    /// <summary>A TCP port on 127.0.0.1 that nothing listens on right now.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Waits until something accepts TCP connections on 127.0.0.1:<paramref name="port"/>.</summary>
    /// <param name="port">The port.</param>
    /// <param name="patience">How long to wait.</param>
    /// <param name="diagnostics">What to add to the error (the service's output).</param>
    /// <param name="gone">True once waiting longer is pointless (the service's process exited): fail at once.</param>
    public static async Task WaitListeningAsync(int port, TimeSpan patience, Func<string>? diagnostics = null, Func<bool>? gone = null)
    {
        var deadline = DateTime.UtcNow + patience;
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException ex) when (gone?.Invoke() == true)
            {
                throw new TimeoutException($"nothing listens on 127.0.0.1:{port}: the process exited. {diagnostics?.Invoke()}", ex);
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
            catch (SocketException ex)
            {
                throw new TimeoutException($"nothing listens on 127.0.0.1:{port} after {patience}. {diagnostics?.Invoke()}", ex);
            }
        }
    }
}
