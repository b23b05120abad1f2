namespace Metronome.Testing.Peers;

/// <summary>
/// A real <c>nats-server</c> (core NATS, no JetStream) for tests, on a free loopback port.
/// Usable as an xunit class fixture (started by <see cref="InitializeAsync"/>) or on its own (<see cref="StartAsync"/>).
/// </summary>
public sealed class NatsServer : IAsyncLifetime, IAsyncDisposable
{
    private readonly (string User, string Password)? _credentials;
    private ServiceProcess? _process;
    private string? _directory;

    public NatsServer() : this(credentials: null) { }

    /// <param name="credentials">When set, the server requires this user and password (<c>--user</c>, <c>--pass</c>).</param>
    private NatsServer((string User, string Password)? credentials) => _credentials = credentials;

    public int Port { get; private set; }

    /// <summary>The NATS URL, with the credentials when there are some.</summary>
    public string ConnectionString => _credentials is { } c
        ? $"nats://{Uri.EscapeDataString(c.User)}:{Uri.EscapeDataString(c.Password)}@127.0.0.1:{Port}"
        : $"nats://127.0.0.1:{Port}";

    public static async Task<NatsServer> StartAsync((string User, string Password)? credentials = null)
    {
        var server = new NatsServer(credentials);
        await server.InitializeAsync();
        return server;
    }

    public async Task InitializeAsync()
    {
        _directory = Directory.CreateTempSubdirectory("metronome-nats-").FullName;
        Port = FreePort.Next();
        List<string> args = ["-a", "127.0.0.1", "-p", Port.ToString()];
        if (_credentials is { } c) args.AddRange(["--user", c.User, "--pass", c.Password]);
        _process = await ServiceProcess.StartAsync("nats-server", args, Port, _directory, patience: TimeSpan.FromSeconds(30));
    }

    /// <summary>Stops the server (the port is closed afterwards); for tests of a broker that is down.</summary>
    public async Task StopAsync()
    {
        if (_process is null) return;
        await _process.DisposeAsync();
        _process = null;
    }

    public async Task DisposeAsync()
    {
        await StopAsync();
        PeerDirectory.Delete(_directory);
    }

    ValueTask IAsyncDisposable.DisposeAsync() => new(DisposeAsync());
}
