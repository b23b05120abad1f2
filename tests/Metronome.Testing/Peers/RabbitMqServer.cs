namespace Metronome.Testing.Peers;

/// <summary>
/// A real RabbitMQ node for tests: its own node name, Erlang distribution port, data, logs, config and HOME (Erlang
/// cookie) under a temp directory, AMQP on a free loopback port, no plugins. The shared <c>epmd</c> daemon on its
/// default port is started by Erlang if needed and left running (it serves every node on the machine).
/// Startup takes a few seconds: share one node per test class (<c>IClassFixture</c>).
/// </summary>
public sealed class RabbitMqServer : IAsyncLifetime, IAsyncDisposable
{
    private const string BinDir = "/usr/lib/rabbitmq/bin";

    private ServiceProcess? _process;
    private string? _directory;
    private Dictionary<string, string> _env = [];

    public int Port { get; private set; }

    /// <summary>The Erlang node name, <c>mt&lt;random&gt;@localhost</c>.</summary>
    public string NodeName { get; } = $"mt{Guid.NewGuid():N}"[..14] + "@localhost";

    /// <summary>An AMQP URI for <paramref name="user"/> (default: <c>guest</c>, allowed on loopback) and the default vhost.</summary>
    public string ConnectionString(string user = "guest", string password = "guest") =>
        $"amqp://{Uri.EscapeDataString(user)}:{Uri.EscapeDataString(password)}@127.0.0.1:{Port}/";

    public static async Task<RabbitMqServer> StartAsync()
    {
        var server = new RabbitMqServer();
        await server.InitializeAsync();
        return server;
    }

    public async Task InitializeAsync()
    {
        if (!File.Exists(Path.Combine(BinDir, "rabbitmq-server")))
            throw new InvalidOperationException($"RabbitMQ not found in {BinDir} (see tests/services/packages.d/broker.txt)");
        var directory = Directory.CreateTempSubdirectory("metronome-rabbitmq-").FullName;
        _directory = directory;
        Port = FreePort.Next();
        var config = Path.Combine(directory, "rabbitmq.conf");
        // A low disk limit: a test machine with little free space must not block publishers with a disk alarm.
        await File.WriteAllTextAsync(config, $"listeners.tcp.default = 127.0.0.1:{Port}\ndisk_free_limit.absolute = 1MB\n");
        await File.WriteAllTextAsync(Path.Combine(directory, "advanced.config"), "[].\n");
        _env = new Dictionary<string, string>
        {
            ["HOME"] = directory,
            ["RABBITMQ_NODENAME"] = NodeName,
            ["RABBITMQ_DIST_PORT"] = FreePort.Next().ToString(),
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(directory, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(directory, "log"),
            ["RABBITMQ_CONFIG_FILE"] = config,
            ["RABBITMQ_ADVANCED_CONFIG_FILE"] = Path.Combine(directory, "advanced.config"),
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(directory, "enabled_plugins"),
            ["RABBITMQ_CONF_ENV_FILE"] = Path.Combine(directory, "rabbitmq-env.conf"), // absent: ignore the machine's
            ["RABBITMQ_PID_FILE"] = Path.Combine(directory, "rabbitmq.pid"),
        };
        // Both ports were free when picked, but another test's connection may take one before the node binds it (the
        // Erlang distribution port is bound on every interface): the node then fails to boot. Pick new ports and boot again.
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                _process = await ServiceProcess.StartAsync(Path.Combine(BinDir, "rabbitmq-server"), [], Port, directory, _env, TimeSpan.FromSeconds(90));
                return;
            }
            catch (TimeoutException e) when (attempt < 3 && e.Message.Contains("could not bind", StringComparison.Ordinal))
            {
                Port = FreePort.Next();
                await File.WriteAllTextAsync(config, $"listeners.tcp.default = 127.0.0.1:{Port}\ndisk_free_limit.absolute = 1MB\n");
                _env["RABBITMQ_DIST_PORT"] = FreePort.Next().ToString();
            }
        }
    }

    /// <summary>Adds a user with full permissions on the default vhost.</summary>
    public async Task AddUserAsync(string user, string password)
    {
        await CtlAsync("add_user", user, password);
        await CtlAsync("set_permissions", "-p", "/", user, ".*", ".*", ".*");
    }

    /// <summary>Stops the node (<c>rabbitmqctl stop</c>); the port is closed afterwards.</summary>
    public async Task StopAsync()
    {
        if (_process is null) return;
        try
        {
            if (!_process.HasExited) await CtlAsync("stop");
        }
        catch (InvalidOperationException)
        {
            // rabbitmqctl could not reach the node: the process is stopped by signal below.
        }
        await _process.DisposeAsync();
        _process = null;
    }

    public async Task DisposeAsync()
    {
        await StopAsync();
        PeerDirectory.Delete(_directory);
    }

    ValueTask IAsyncDisposable.DisposeAsync() => new(DisposeAsync());

    private Task<string> CtlAsync(params string[] args) =>
        ServiceProcess.RunAsync(Path.Combine(BinDir, "rabbitmqctl"), ["-n", NodeName, .. args], _env, TimeSpan.FromSeconds(60));
}
