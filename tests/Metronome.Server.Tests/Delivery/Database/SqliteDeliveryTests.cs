using Metronome.Server.Tests.Delivery.Notification;
using Metronome.Server.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Metronome.Server.Tests.Delivery.Database;

public sealed class SqliteDeliveryTests(ServerFixture fixture) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("metronome-sqlite-delivery-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    private const string Definition = """
        {"provider": "sqlite", "connection": "{{secrets.DB}}",
         "statement": "INSERT INTO ticks(slot, note, job) VALUES (@slot, @note, @job)",
         "parameters": {"slot": "{{run.slot}}", "note": "{{input.note}}", "job": "{{job.tag}}"}}
        """;

    [Fact]
    public async Task Sqlite_job_with_three_executions_inserts_three_rows_through_the_secret_connection_string()
    {
        var connection = $"Data Source={Path.Combine(_directory, "app.db")}";
        await using (var db = new SqliteConnection(connection))
        {
            await db.OpenAsync();
            await using var create = db.CreateCommand();
            create.CommandText = "CREATE TABLE ticks(slot INTEGER, note TEXT, job TEXT)";
            await create.ExecuteNonQueryAsync();
        }
        var scenario = await DeliveryScenario.StartAsync(fixture.Server, new Dictionary<string, string> { ["DB"] = connection });
        var ev = await scenario.CreateEventAsync("database_action", Definition);

        var job = await scenario.StartJobAsync("database_action", ev, executions: 3, inputJson: """{"note": "it's fine'); DROP TABLE ticks; --"}""");
        var runs = await scenario.WaitForRunsAsync(job, 3);

        DeliveryScenario.AssertAllSucceeded(runs, 3);
        Assert.All(runs, r => Assert.Equal(1, r.Output?.GetProperty("rows_affected").GetInt32()));
        await using var read = new SqliteConnection(connection);
        await read.OpenAsync();
        await using var select = read.CreateCommand();
        select.CommandText = "SELECT slot, note, job FROM ticks ORDER BY slot";
        await using var reader = await select.ExecuteReaderAsync();
        var rows = new List<(long, string, string)>();
        while (await reader.ReadAsync()) rows.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2)));
        Assert.Equal(DeliveryScenario.Slots(runs), rows.Select(r => r.Item1));
        Assert.All(rows, r => Assert.Equal(("it's fine'); DROP TABLE ticks; --", job), (r.Item2, r.Item3)));
    }

    [Fact]
    public async Task Sqlite_job_whose_database_cannot_be_opened_records_connection_refused_and_keeps_firing()
    {
        var missing = $"Data Source={Path.Combine(_directory, "no", "such", "dir", "app.db")}";
        var scenario = await DeliveryScenario.StartAsync(fixture.Server, new Dictionary<string, string> { ["DB"] = missing });
        var ev = await scenario.CreateEventAsync("database_action", Definition);

        var job = await scenario.StartJobAsync("database_action", ev, executions: 2);

        DeliveryScenario.AssertAllFailed(await scenario.WaitForRunsAsync(job, 2), 2, "connection_refused");
    }

    [Fact]
    public async Task Sqlite_job_whose_statement_fails_records_rejected()
    {
        var scenario = await DeliveryScenario.StartAsync(fixture.Server,
            new Dictionary<string, string> { ["DB"] = $"Data Source={Path.Combine(_directory, "empty.db")}" });
        var ev = await scenario.CreateEventAsync("database_action", Definition);

        var job = await scenario.StartJobAsync("database_action", ev, executions: 2);

        DeliveryScenario.AssertAllFailed(await scenario.WaitForRunsAsync(job, 2), 2, "rejected");
    }

    [Fact]
    public async Task Database_definitions_that_would_splice_values_or_miss_fields_are_rejected_with_400()
    {
        var scenario = await DeliveryScenario.StartAsync(fixture.Server);

        var (spliced, splicedBody) = await scenario.TryCreateEventAsync("database_action",
            """{"provider": "sqlite", "connection": "Data Source=x.db", "statement": "DELETE FROM t WHERE id = {{input.id}}"}""");
        var (unknown, unknownBody) = await scenario.TryCreateEventAsync("database_action",
            """{"provider": "oracle", "connection": "x", "statement": "SELECT 1"}""");

        Assert.Equal(400, spliced);
        Assert.Contains("definition.statement", splicedBody);
        Assert.Equal(400, unknown);
        Assert.Contains("definition.provider", unknownBody);
    }
}
