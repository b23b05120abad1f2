using System.Net.Sockets;
using System.Text;

namespace Metronome.Testing;

/// <summary>A plain TCP listener as a target: proves what bytes (if any) a client sent, with no HTTP parsing in between.</summary>
public static class RawTcp
{
    /// <summary>
    /// Accepts one connection on <paramref name="listener"/> and returns everything it sends until it closes, or what
    /// arrived within <paramref name="patience"/> (an empty string when nobody connected).
    /// </summary>
    public static async Task<string> ReceiveAsync(TcpListener listener, TimeSpan patience)
    {
        var received = new StringBuilder();
        using var cts = new CancellationTokenSource(patience);
        try
        {
            using var client = await listener.AcceptTcpClientAsync(cts.Token);
            var buffer = new byte[4096];
            int n;
            while ((n = await client.GetStream().ReadAsync(buffer, cts.Token)) > 0) received.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }
        catch (OperationCanceledException) { }
        return received.ToString();
    }
}
