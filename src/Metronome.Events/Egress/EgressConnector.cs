using System.Net;
using System.Net.Sockets;

namespace Metronome.Events.Egress;

/// <summary>
/// The <see cref="SocketsHttpHandler.ConnectCallback"/> of the executors' HTTP client: resolves the host once, drops
/// every address the <see cref="EgressPolicy"/> refuses and connects to the first allowed one that answers. The check
/// runs on the address connected to, for every connection (each redirect hop included), so a name that resolves
/// to an allowed address at validation and to a denied one later (DNS rebinding) is still refused.
/// </summary>
internal sealed class EgressConnector(EgressPolicy policy)
{
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var port = context.DnsEndPoint.Port;
        if (policy.CheckHost(host) is { } refusal) throw new EgressDeniedException(refusal);
        var addresses = IPAddress.TryParse(host.TrimStart('[').TrimEnd(']'), out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false);
        string? firstRefusal = null;
        Exception? lastError = null;
        foreach (var address in addresses)
        {
            if (policy.Check(host, address) is { } denied)
            {
                firstRefusal ??= denied;
                continue;
            }
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), ct).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                lastError = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        if (lastError is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(lastError);
        throw firstRefusal is not null
            ? new EgressDeniedException(firstRefusal)
            : new SocketException((int)SocketError.HostNotFound);
    }
}

/// <summary>A connection the <see cref="EgressPolicy"/> refused; its message names the destination and the rule.</summary>
internal sealed class EgressDeniedException(string message) : IOException(message);
