using MimeKit;

namespace Metronome.Testing.Peers;

/// <summary>One message as <c>smtp-sink</c> dumped it: the SMTP envelope and the parsed message.</summary>
public sealed record SunkMessage(string MailFrom, IReadOnlyList<string> RcptTo, MimeMessage Message);

/// <summary>
/// A real SMTP server on a free loopback port that dumps every message into its own file. By default Postfix's
/// <c>smtp-sink</c> (<c>-d dir/msg.</c>); its extra arguments script failures: <c>-f AUTH -B "535 …"</c> refuses
/// credentials, <c>-f RCPT</c> refuses recipients, <c>-W CONNECT:30</c> never greets in time. smtp-sink answers AUTH
/// with 250 instead of 235, so <see cref="StartAuthenticatingAsync"/> runs Python's aiosmtpd (Debian
/// <c>python3-aiosmtpd</c>) with real AUTH PLAIN/LOGIN against one username and password, dumping the same format.
/// </summary>
public sealed class SmtpSink : IAsyncLifetime, IAsyncDisposable
{
    private const string AuthServerScript = """
        import os, sys, time, uuid
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword
        port, user, password, directory = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3].encode(), sys.argv[4]
        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login == user and auth_data.password == password
            return AuthResult(success=ok, handled=False)
        class Dump:
            async def handle_DATA(self, server, session, envelope):
                head = ["X-Mail-Args: <%s>" % envelope.mail_from] + ["X-Rcpt-Args: <%s>" % r for r in envelope.rcpt_tos]
                name = uuid.uuid4().hex
                with open(os.path.join(directory, "tmp." + name), "wb") as f:
                    f.write(("\r\n".join(head) + "\r\n").encode() + envelope.original_content)
                os.rename(os.path.join(directory, "tmp." + name), os.path.join(directory, "msg." + name))
                return "250 2.0.0 Ok"
        Controller(Dump(), hostname="127.0.0.1", port=port, authenticator=authenticator, auth_required=True, auth_require_tls=False).start()
        while True:
            time.sleep(3600)
        """;

    private readonly string _file;
    private readonly Func<SmtpSink, string[]> _args;
    private ServiceProcess? _process;

    public SmtpSink() : this("/usr/sbin/smtp-sink", _ => []) { }

    private SmtpSink(string file, Func<SmtpSink, string[]> args)
    {
        _file = file;
        _args = args;
        Directory = System.IO.Directory.CreateTempSubdirectory("metronome-smtp-sink-").FullName;
        // smtp-sink drops root privileges (-u nobody) before it writes the dump files.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Directory, (UnixFileMode)0b111_111_111);
    }

    public int Port { get; private set; }
    public string Directory { get; }

    /// <summary>smtp-sink with extra <paramref name="options"/>.</summary>
    public static async Task<SmtpSink> StartAsync(params string[] options)
    {
        var sink = new SmtpSink("/usr/sbin/smtp-sink", _ => options);
        await sink.InitializeAsync();
        return sink;
    }

    /// <summary>aiosmtpd requiring AUTH with exactly <paramref name="username"/> / <paramref name="password"/> (535 otherwise).</summary>
    public static async Task<SmtpSink> StartAuthenticatingAsync(string username, string password)
    {
        var sink = new SmtpSink("/usr/bin/python3", s => ["-c", AuthServerScript, s.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), username, password, s.Directory]);
        await sink.InitializeAsync();
        return sink;
    }

    public async Task InitializeAsync()
    {
        Port = FreePort.Next();
        string[] args = _file.EndsWith("smtp-sink", StringComparison.Ordinal)
            ? [.. _args(this), "-u", "nobody", "-d", Path.Combine(Directory, "msg."), $"127.0.0.1:{Port}", "100"]
            : _args(this);
        _process = await ServiceProcess.StartAsync(_file, args, Port);
    }

    /// <summary>Every complete message dumped so far.</summary>
    public IReadOnlyList<SunkMessage> Messages()
    {
        var messages = new List<SunkMessage>();
        foreach (var file in System.IO.Directory.GetFiles(Directory, "msg.*"))
        {
            MimeMessage message;
            try { message = MimeMessage.Load(file); }
            catch (Exception e) when (e is FormatException or IOException) { continue; } // still being written
            var from = Address(message.Headers["X-Mail-Args"]);
            var rcpt = message.Headers.Where(h => h.Field == "X-Rcpt-Args").Select(h => Address(h.Value)).ToList();
            messages.Add(new SunkMessage(from, rcpt, message));
        }
        return messages;
    }

    /// <summary>Polls until a message matches (SMTP has answered before the dump file is read back).</summary>
    public async Task<SunkMessage> WaitForAsync(Func<SunkMessage, bool> match, TimeSpan? patience = null)
    {
        var deadline = DateTime.UtcNow + (patience ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            if (Messages().FirstOrDefault(match) is { } found) return found;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no matching message in {Directory}; smtp-sink said:\n{_process?.Output}");
            await Task.Delay(50);
        }
    }

    /// <summary>The address inside the angle brackets of a MAIL/RCPT argument (<c>&lt;a@b&gt; SIZE=12</c>).</summary>
    private static string Address(string? args)
    {
        if (args is null) return "";
        var open = args.IndexOf('<', StringComparison.Ordinal);
        var close = args.IndexOf('>', StringComparison.Ordinal);
        return open >= 0 && close > open ? args[(open + 1)..close] : args.Trim();
    }

    public async Task DisposeAsync()
    {
        if (_process is not null) await _process.DisposeAsync();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }

    async ValueTask IAsyncDisposable.DisposeAsync() => await DisposeAsync();
}
