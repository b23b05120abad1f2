using Npgsql;

namespace Metronome.Testing;

/// <summary>
/// A real PostgreSQL 15 server for tests: <c>initdb</c> into a temp directory owned by the <c>postgres</c> user
/// (initdb and postgres refuse to run as root), started with <c>pg_ctl</c> on a free loopback port, trust auth.
/// <see cref="CreateDatabaseAsync"/> gives each test class its own database so classes run in parallel.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    public const string BinDir = "/usr/lib/postgresql/15/bin";

    private PostgresServer(string dataDir, int port)
    {
        DataDirectory = dataDir;
        Port = port;
    }

    public string DataDirectory { get; }
    public int Port { get; }

    /// <summary>Connection string of the maintenance database <c>postgres</c>.</summary>
    public string AdminConnectionString => ConnectionString("postgres");

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=true;Timeout=15;Command Timeout=60";

    public static async Task<PostgresServer> StartAsync()
    {
        if (!File.Exists(Path.Combine(BinDir, "initdb")))
            throw new InvalidOperationException($"PostgreSQL 15 binaries not found in {BinDir}");
        var root = Path.Combine(Path.GetTempPath(), $"metronome-pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        var dataDir = Path.Combine(root, "data");
        await AsPostgresAsync($"chown postgres {Quote(root)}", asRoot: true);
        await AsPostgresAsync($"{BinDir}/initdb -D {Quote(dataDir)} -U postgres --auth=trust --no-sync -E UTF8 >/dev/null");
        var port = FreePort.Next();
        var server = new PostgresServer(dataDir, port);
        await server.StartProcessAsync();
        return server;
    }

    /// <summary>(Re)starts the server process on the same port and data.</summary>
    public async Task StartProcessAsync()
    {
        var options = $"-c listen_addresses=127.0.0.1 -p {Port} -c unix_socket_directories='' -c fsync=on -c max_connections=300 -c shared_buffers=64MB";
        await AsPostgresAsync($"{BinDir}/pg_ctl -D {Quote(DataDirectory)} -o \"{options}\" -l {Quote(DataDirectory + "/server.log")} -w -t 60 start >/dev/null");
        await FreePort.WaitListeningAsync(Port, TimeSpan.FromSeconds(60));
    }

    /// <summary><c>pg_ctl restart</c>: every connection is cut, the server comes back on the same port.</summary>
    public Task RestartAsync() =>
        AsPostgresAsync($"{BinDir}/pg_ctl -D {Quote(DataDirectory)} -m fast -w -t 60 restart >/dev/null");

    public Task StopProcessAsync() =>
        AsPostgresAsync($"{BinDir}/pg_ctl -D {Quote(DataDirectory)} -m fast -w -t 60 stop >/dev/null");

    /// <summary><c>pg_ctl stop -m immediate</c>: the server dies at once, as in a crash (connections are cut, nothing is flushed).</summary>
    public Task KillAsync() =>
        AsPostgresAsync($"{BinDir}/pg_ctl -D {Quote(DataDirectory)} -m immediate -w -t 60 stop >/dev/null");

    /// <summary>Creates a fresh database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string? name = null)
    {
        name ??= $"t_{Guid.NewGuid():N}";
        // Unpooled: a pooled connection may have been cut by a restart of this server (a chaos test's, say) since its last use.
        await using var conn = new NpgsqlConnection(AdminConnectionString + ";Pooling=false");
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", conn);
        await cmd.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try { await StopProcessAsync(); } catch (InvalidOperationException) { }
        try { Directory.Delete(Path.GetDirectoryName(DataDirectory)!, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static Task<string> AsPostgresAsync(string command, bool asRoot = false) =>
        asRoot || Environment.UserName == "postgres"
            ? ServiceProcess.RunAsync("/bin/sh", ["-c", command])
            : ServiceProcess.RunAsync("su", ["postgres", "-s", "/bin/sh", "-c", command]);

    private static string Quote(string path) => "'" + path.Replace("'", "'\\''") + "'";
}
