using System.Text.Json;
using Metronome.Core.Execution;
using Metronome.Events.Database;
using Metronome.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Metronome.Events.Tests.Database;

public sealed class PostgresDatabaseActionTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private readonly IEventExecutor _executor = TestContexts.Executor("database_action");

    private async Task<string> DatabaseAsync()
    {
        var connection = await postgres.Server.CreateDatabaseAsync();
        await SqlAsync(connection, "CREATE TABLE ticks(slot integer, note text, at timestamptz, ok boolean, amount numeric)");
        return connection;
    }

    private static async Task<List<object?[]>> SqlAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<object?[]>();
        while (await reader.ReadAsync())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++) row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    private static Task<ExecutionOutcome> Execute(IEventExecutor executor, string connection, string statement, string parameters = "{}",
        string input = "{}", string extra = "")
    {
        var definition = $$$"""
            {"provider": "postgres", "connection": "{{secrets.PG}}", "statement": "{{{statement}}}", "parameters": {{{parameters}}}{{{extra}}}}
            """;
        var secrets = new Dictionary<string, string> { ["PG"] = connection };
        return executor.ExecuteAsync(TestContexts.For("database_action", definition, input, secrets), CancellationToken.None);
    }

    [Fact]
    public async Task Insert_runs_with_the_secret_connection_string_and_bound_parameters()
    {
        var db = await DatabaseAsync();

        var outcome = await Execute(_executor, db, "INSERT INTO ticks(slot, note, ok) VALUES (@slot, @note, @ok)",
            """{"slot": "{{run.slot}}", "note": "{{input.note}} ' ; DROP TABLE ticks; --", "ok": "{{input.ok}}"}""", """{"note": "hi", "ok": true}""");

        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
        Assert.Equal(1, TestContexts.Json(outcome.OutputJson).GetProperty("rows_affected").GetInt32());
        Assert.Equal([42, "hi ' ; DROP TABLE ticks; --", true], Assert.Single(await SqlAsync(db, "SELECT slot, note, ok FROM ticks")));
    }

    [Fact]
    public async Task Returning_rows_are_the_output_with_json_types()
    {
        var db = await DatabaseAsync();

        var outcome = await Execute(_executor, db,
            "INSERT INTO ticks(slot, note, at, ok, amount) VALUES (@slot, NULL, @at::timestamptz, false, 12.50) RETURNING slot, note, at, ok, amount",
            """{"slot": 3, "at": "{{run.scheduled_at}}"}""");

        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
        var row = Assert.Single(TestContexts.Json(outcome.OutputJson).EnumerateArray());
        Assert.Equal(3, row.GetProperty("slot").GetInt32());
        Assert.Equal(JsonValueKind.Null, row.GetProperty("note").ValueKind);
        Assert.Equal(TestContexts.ScheduledAt, row.GetProperty("at").GetDateTimeOffset());
        Assert.False(row.GetProperty("ok").GetBoolean());
        Assert.Equal(12.50m, row.GetProperty("amount").GetDecimal());
    }

    [Fact]
    public async Task Sql_error_is_rejected_and_rolls_back()
    {
        var db = await DatabaseAsync();

        var outcome = await Execute(_executor, db, "WITH a AS (INSERT INTO ticks(slot) VALUES (1)) INSERT INTO missing VALUES (1)");

        Assert.False(outcome.Succeeded);
        Assert.Equal(ErrorKinds.Rejected, outcome.ErrorKind);
        Assert.Contains("42P01", outcome.ErrorMessage);
        Assert.Empty(await SqlAsync(db, "SELECT * FROM ticks"));
    }

    [Fact]
    public async Task Unknown_role_fails_with_auth_failed()
    {
        var db = await DatabaseAsync();
        var wrongUser = db.Replace("Username=postgres", "Username=intruder", StringComparison.Ordinal);

        var outcome = await Execute(_executor, wrongUser, "SELECT 1");

        Assert.False(outcome.Succeeded);
        Assert.Equal(ErrorKinds.AuthFailed, outcome.ErrorKind);
    }

    [Fact]
    public async Task Server_that_is_down_fails_with_connection_refused()
    {
        var outcome = await Execute(_executor, $"Host=127.0.0.1;Port={FreePort.Next()};Username=postgres;Database=x", "SELECT 1");

        Assert.False(outcome.Succeeded);
        Assert.Equal(ErrorKinds.ConnectionRefused, outcome.ErrorKind);
    }

    [Fact]
    public async Task Slow_statement_fails_with_timeout_at_the_definition_timeout()
    {
        var db = await DatabaseAsync();

        var started = DateTime.UtcNow;
        var outcome = await Execute(_executor, db, "SELECT pg_sleep(10)", extra: """, "timeout_ms": 300""");

        Assert.Equal(ErrorKinds.Timeout, outcome.ErrorKind);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task One_pool_per_connection_string_is_kept_and_disposed_with_the_container()
    {
        var db = await DatabaseAsync();
        var provider = new ServiceCollection().AddMetronomeEvents().BuildServiceProvider();
        var executor = provider.GetServices<IEventExecutor>().OfType<DatabaseActionExecutor>().Single();

        for (var i = 0; i < 3; i++) Assert.True((await Execute(executor, db, "SELECT @i AS i", $$"""{"i": {{i}}}""")).Succeeded);
        Assert.Equal(1, executor.PostgresPools);

        await provider.DisposeAsync();
        Assert.Equal(0, executor.PostgresPools);
    }
}
