namespace Metronome.Testing.Peers;

/// <summary>
/// A real <c>redis-server</c> for tests, on a free loopback port with its own temp directory and no persistence.
/// Usable as an xunit class fixture (started by <see cref="InitializeAsync"/>) or on its own (<see cref="StartAsync"/>).
/// </summary>
public sealed class RedisServer : IAsyncLifetime, IAsyncDisposable
{
    private readonly string? _password;
    private ServiceProcess? _process;
    private string? _directory;

    public RedisServer() : this(password: null) { }

    /// <param name="password">When set, the server requires it (<c>--requirepass</c>); see <see cref="StartAsync"/>.</param>
    private RedisServer(string? password) => _password = password;

    public int Port { get; private set; }

    /// <summary>The StackExchange.Redis configuration string (with the password when there is one).</summary>
    public string ConnectionString => _password is null ? $"127.0.0.1:{Port}" : $"127.0.0.1:{Port},password={_password}";

    public static async Task<RedisServer> StartAsync(string? password = null)
    {
        var server = new RedisServer(password);
        await server.InitializeAsync();
        return server;
    }

    public async Task InitializeAsync()
    {
        _directory = Directory.CreateTempSubdirectory("metronome-redis-").FullName;
        Port = FreePort.Next();
        List<string> args = ["--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _directory];
        if (_password is not null) args.AddRange(["--requirepass", _password]);
        _process = await ServiceProcess.StartAsync("redis-server", args, Port, _directory, patience: TimeSpan.FromSeconds(30));
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
