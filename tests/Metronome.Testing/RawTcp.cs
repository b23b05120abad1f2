using System.Net.Sockets;
using System.Text;

namespace Metronome.Testing;

/// <summary>A plain TCP listener as a target: proves what bytes (if any) clients sent, with no HTTP parsing in between.</summary>
public static class RawTcp
{
    /// <summary>
    /// Accepts every connection on <paramref name="listener"/> for <paramref name="patience"/> and returns what each sent
    /// (until it closed or the time was up), one string per connection; empty when nobody connected.
    /// </summary>
    /// <remarks>
    /// Another test of the same run may reach this ephemeral port by accident (a port it picked, released and probes, now
    /// reused here), so assertions look for the request of their own test, by a marker in its path, not for silence.
    /// </remarks>
    public static async Task<IReadOnlyList<string>> ReceiveAsync(TcpListener listener, TimeSpan patience)
    {
        using var cts = new CancellationTokenSource(patience);
        var connections = new List<Task<string>>();
        try
        {
            while (true) connections.Add(ReadAllAsync(await listener.AcceptTcpClientAsync(cts.Token), cts.Token));
        }
        catch (OperationCanceledException) { }
        return await Task.WhenAll(connections);
    }

    private static async Task<string> ReadAllAsync(TcpClient client, CancellationToken stop)
    {
        var received = new StringBuilder();
        using (client)
        {
            try
            {
                var buffer = new byte[4096];
                int n;
                while ((n = await client.GetStream().ReadAsync(buffer, stop)) > 0) received.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }
            catch (Exception e) when (e is OperationCanceledException or IOException) { }
        }
        return received.ToString();
    }
}
