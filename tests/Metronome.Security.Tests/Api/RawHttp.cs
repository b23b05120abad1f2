using System.Net.Sockets;
using System.Text;

namespace Metronome.Security.Tests.Api;

/// <summary>
/// Sends one HTTP/1.1 request with exactly the request target given: <see cref="HttpClient"/> (through <see cref="Uri"/>)
/// resolves <c>..</c> segments before sending, which is the very thing an attacker's client does not do.
/// </summary>
public static class RawHttp
{
    public sealed record Answer(int Status, string Head, string Body)
    {
        public string? Header(string name) => Head.Split("\r\n")
            .Where(l => l.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase))
            .Select(l => l[(name.Length + 1)..].Trim()).FirstOrDefault();
    }

    public static async Task<Answer> SendAsync(Uri server, string method, string target, string? bearer, string? body = null, string? contentType = null)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        var stream = tcp.GetStream();
        var bytes = body is null ? [] : Encoding.UTF8.GetBytes(body);
        var request = new StringBuilder()
            .Append($"{method} {target} HTTP/1.1\r\nHost: {server.Authority}\r\nConnection: close\r\n");
        if (bearer is not null) request.Append($"Authorization: Bearer {bearer}\r\n");
        if (contentType is not null) request.Append($"Content-Type: {contentType}\r\n");
        if (body is not null || method is "POST" or "PUT" or "PATCH") request.Append($"Content-Length: {bytes.Length}\r\n");
        request.Append("\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request.ToString()));
        if (bytes.Length > 0) await stream.WriteAsync(bytes);
        using var read = new MemoryStream();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await stream.CopyToAsync(read, cts.Token);
        var text = Encoding.UTF8.GetString(read.ToArray());
        int split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var head = split < 0 ? text : text[..split];
        var status = int.Parse(head.Split(' ', 3)[1], System.Globalization.CultureInfo.InvariantCulture);
        return new Answer(status, head, split < 0 ? "" : text[(split + 4)..]);
    }
}
