using Metronome.Server.Tests.Delivery.Notification;
using Metronome.Server.Tests.Infrastructure;
using Metronome.Testing;
using Npgsql;

namespace Metronome.Server.Tests.Delivery.Database;

/// <summary>One real PostgreSQL server per test class; each test creates its own database.</summary>
public sealed class PostgresDeliveryFixture : IAsyncLifetime
{
    private PostgresServer? _server;

    public PostgresServer Server => _server ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() => _server = await PostgresServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}

public sealed class PostgresDeliveryTests(ServerFixture fixture, PostgresDeliveryFixture postgres)
    : IClassFixture<ServerFixture>, IClassFixture<PostgresDeliveryFixture>
{
    private const string Definition = """
        {"provider": "postgres", "connection": "{{secrets.PG}}",
         "statement": "INSERT INTO ticks(slot, note, at) VALUES (@slot, @note, @at::timestamptz) RETURNING slot",
         "parameters": {"slot": "{{run.slot}}", "note": "{{input.note}}", "at": "{{run.scheduled_at}}"}}
        """;

    private async Task<string> DatabaseAsync()
    {
        var connection = await postgres.Server.CreateDatabaseAsync();
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        await using var create = new NpgsqlCommand("CREATE TABLE ticks(slot integer PRIMARY KEY, note text, at timestamptz)", db);
        await create.ExecuteNonQueryAsync();
        return connection;
    }

    [Fact]
    public async Task Postgres_job_with_three_executions_inserts_three_rows_through_the_secret_connection_string()
    {
        var connection = await DatabaseAsync();
        var scenario = await DeliveryScenario.StartAsync(fixture.Server, new Dictionary<string, string> { ["PG"] = connection });
        var ev = await scenario.CreateEventAsync("database_action", Definition);

        var job = await scenario.StartJobAsync("database_action", ev, executions: 3, inputJson: """{"note": "tick"}""");
        var runs = await scenario.WaitForRunsAsync(job, 3);

        DeliveryScenario.AssertAllSucceeded(runs, 3);
        Assert.Equal(DeliveryScenario.Slots(runs), runs.Select(r => r.Output!.Value[0].GetProperty("slot").GetInt64()));
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        await using var select = new NpgsqlCommand("SELECT slot, note, at FROM ticks ORDER BY slot", db);
        await using var reader = await select.ExecuteReaderAsync();
        var rows = new List<(int Slot, string Note, DateTime At)>();
        while (await reader.ReadAsync()) rows.Add((reader.GetInt32(0), reader.GetString(1), reader.GetDateTime(2)));
        Assert.Equal(DeliveryScenario.Slots(runs), rows.Select(r => (long)r.Slot));
        Assert.All(rows, r => Assert.Equal("tick", r.Note));
        Assert.Equal(runs.Select(r => r.ScheduledAt!.Value.UtcDateTime), rows.Select(r => r.At));
    }

    [Fact]
    public async Task Postgres_job_with_refused_credentials_records_auth_failed_and_keeps_firing()
    {
        var connection = (await DatabaseAsync()).Replace("Username=postgres", "Username=intruder", StringComparison.Ordinal);
        var scenario = await DeliveryScenario.StartAsync(fixture.Server, new Dictionary<string, string> { ["PG"] = connection });
        var ev = await scenario.CreateEventAsync("database_action", Definition);

        var job = await scenario.StartJobAsync("database_action", ev, executions: 2);

        DeliveryScenario.AssertAllFailed(await scenario.WaitForRunsAsync(job, 2), 2, "auth_failed");
    }

    [Fact]
    public async Task Postgres_job_with_the_server_down_records_connection_refused_and_keeps_firing()
    {
        var connection = $"Host=127.0.0.1;Port={FreePort.Next()};Username=postgres;Database=nothing";
        var scenario = await DeliveryScenario.StartAsync(fixture.Server, new Dictionary<string, string> { ["PG"] = connection });
        var ev = await scenario.CreateEventAsync("database_action", Definition);

        var job = await scenario.StartJobAsync("database_action", ev, executions: 2);

        DeliveryScenario.AssertAllFailed(await scenario.WaitForRunsAsync(job, 2), 2, "connection_refused");
    }
}
