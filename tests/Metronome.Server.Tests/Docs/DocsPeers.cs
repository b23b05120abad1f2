using Metronome.Server.Tests.Infrastructure;
using Metronome.Testing;
using Metronome.Testing.Peers;
using Microsoft.Data.Sqlite;
using Npgsql;
using RabbitMQ.Client;

namespace Metronome.Server.Tests.Docs;

/// <summary>
/// The real peers the doc examples run against (an HTTP listener, smtp-sink, Redis, NATS, RabbitMQ, PostgreSQL, a
/// SQLite file) and the server, with <see cref="Substitute"/>: the addresses the pages say a reader replaces.
/// </summary>
public sealed class DocsPeers : IAsyncLifetime
{
    /// <summary>What Expo answers for one accepted message; the other HTTP examples accept it as any 2xx.</summary>
    private const string ProviderAnswer = """{"data":[{"status":"ok","id":"ticket-1"}]}""";

    private readonly string _directory = Directory.CreateTempSubdirectory("metronome-docs-examples-").FullName;
    private PostgresServer? _postgres;
    private string _postgresDatabase = "";

    public ProviderListener Http { get; } = new();
    public SmtpSink Smtp { get; } = new();
    public RedisServer Redis { get; } = new();
    public NatsServer Nats { get; } = new();
    public RabbitMqServer RabbitMq { get; } = new();
    public TestServer Server { get; private set; } = null!;
    public string HttpBase { get; private set; } = "";
    public string SqlitePath => Path.Combine(_directory, "app.db");
    public string PostgresDatabase => _postgresDatabase;

    public async Task InitializeAsync()
    {
        var postgres = StartPostgresAsync();
        await Task.WhenAll(Http.InitializeAsync(), Smtp.InitializeAsync(), Redis.InitializeAsync(), Nats.InitializeAsync(), RabbitMq.InitializeAsync(), postgres);
        Server = await TestServer.StartAsync();
        HttpBase = Http.Mount(200, ProviderAnswer);

        // What the pages tell a reader to have: the table ticks, and a queue behind the routing key "orders".
        await using (var db = new SqliteConnection($"Data Source={SqlitePath}"))
        {
            await db.OpenAsync();
            await using var create = db.CreateCommand();
            create.CommandText = "CREATE TABLE ticks(slot INTEGER, note TEXT)";
            await create.ExecuteNonQueryAsync();
        }
        await using (var pg = new NpgsqlConnection(_postgresDatabase))
        {
            await pg.OpenAsync();
            await using var create = new NpgsqlCommand("CREATE TABLE ticks(slot bigint)", pg);
            await create.ExecuteNonQueryAsync();
        }
        await using var amqp = await new ConnectionFactory { Uri = new Uri(RabbitMq.ConnectionString()) }.CreateConnectionAsync();
        await using var channel = await amqp.CreateChannelAsync();
        await channel.QueueDeclareAsync("orders", durable: false, exclusive: false, autoDelete: false);
    }

    private async Task StartPostgresAsync()
    {
        _postgres = await PostgresServer.StartAsync();
        _postgresDatabase = await _postgres.CreateDatabaseAsync();
    }

    public async Task DisposeAsync()
    {
        if (Server is not null) await Server.DisposeAsync();
        await Http.DisposeAsync();
        await Smtp.DisposeAsync();
        await Redis.DisposeAsync();
        await Nats.DisposeAsync();
        await RabbitMq.DisposeAsync();
        if (_postgres is not null) await _postgres.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    /// <summary>The addresses the pages promise to replace, each by the peer started here.</summary>
    public string Substitute(string json) => json
        .Replace("http://127.0.0.1:8080", HttpBase, StringComparison.Ordinal)
        .Replace("\"port\": 2525", $"\"port\": {Smtp.Port}", StringComparison.Ordinal)
        .Replace("nats://127.0.0.1:4222", Nats.ConnectionString, StringComparison.Ordinal)
        .Replace("127.0.0.1:6379", Redis.ConnectionString, StringComparison.Ordinal)
        .Replace("amqp://guest:guest@127.0.0.1:5672/", RabbitMq.ConnectionString(), StringComparison.Ordinal)
        .Replace("/var/app/app.db", SqlitePath, StringComparison.Ordinal);

    /// <summary>The value stored for a secret the pages use: <c>PG</c> is the connection string of the PostgreSQL example.</summary>
    public string SecretValue(string name) => name == "PG" ? _postgresDatabase : "doc-secret-" + name;

    public async Task<long> SqliteScalarAsync(string sql)
    {
        await using var db = new SqliteConnection($"Data Source={SqlitePath}");
        await db.OpenAsync();
        await using var command = db.CreateCommand();
        command.CommandText = sql;
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public async Task<long> PostgresScalarAsync(string sql)
    {
        await using var pg = new NpgsqlConnection(_postgresDatabase);
        await pg.OpenAsync();
        await using var command = new NpgsqlCommand(sql, pg);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
