using Metronome.Core.Execution;
using Microsoft.Data.Sqlite;

namespace Metronome.Events.Tests.Database;

public sealed class SqliteDatabaseActionTests : IDisposable
{
    private readonly IEventExecutor _executor = TestContexts.Executor("database_action");
    private readonly string _directory = Directory.CreateTempSubdirectory("metronome-sqlite-action-").FullName;
    private readonly string _connection;

    public SqliteDatabaseActionTests()
    {
        _connection = $"Data Source={Path.Combine(_directory, "app.db")}";
        Sql("CREATE TABLE ticks(slot INTEGER, note TEXT, ratio REAL, flag INTEGER, extra TEXT)");
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private List<object?[]> Sql(string sql)
    {
        using var connection = new SqliteConnection(_connection);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<object?[]>();
        while (reader.Read())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++) row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    private Task<ExecutionOutcome> Execute(string statement, string parameters = "{}", string input = "{}", string? connection = null, string extra = "")
    {
        var definition = $$"""
            {"provider": "sqlite", "connection": "{{connection ?? "{{secrets.DB}}"}}", "statement": "{{statement}}", "parameters": {{parameters}}{{extra}}}
            """;
        var secrets = new Dictionary<string, string> { ["DB"] = _connection };
        return _executor.ExecuteAsync(TestContexts.For("database_action", definition, input, secrets), CancellationToken.None);
    }

    [Fact]
    public async Task Insert_binds_rendered_parameters_with_their_json_types_and_reports_rows_affected()
    {
        var outcome = await Execute("INSERT INTO ticks(slot, note, ratio, flag, extra) VALUES (@slot, @note, @ratio, @flag, @extra)",
            """{"slot": "{{run.slot}}", "note": "job {{job.tag}} says {{input.note}}", "ratio": "{{input.ratio}}", "flag": "{{input.flag}}", "extra": "{{input.missing_is_empty}}"}""",
            """{"note": "hi", "ratio": 0.5, "flag": true}""");

        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
        Assert.Equal(1, TestContexts.Json(outcome.OutputJson).GetProperty("rows_affected").GetInt32());
        var row = Assert.Single(Sql("SELECT slot, typeof(slot), note, ratio, typeof(ratio), flag, extra FROM ticks"));
        Assert.Equal([42L, "integer", "job nightly says hi", 0.5, "real", 1L, ""], row);
    }

    [Fact]
    public async Task Json_null_binds_NULL_and_objects_bind_their_json_text()
    {
        var outcome = await Execute("INSERT INTO ticks(slot, note, extra) VALUES (@slot, @note, @extra)",
            """{"slot": null, "note": "{{input.nothing}}", "extra": "{{input.obj}}"}""", """{"nothing": null, "obj": {"a": [1, 2]}}""");

        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
        Assert.Equal([null, null, """{"a":[1,2]}"""], Assert.Single(Sql("SELECT slot, note, extra FROM ticks")));
    }

    [Fact]
    public async Task Values_are_bound_never_spliced_into_the_statement()
    {
        var hostile = "x'); DROP TABLE ticks; --";
        var outcome = await Execute("INSERT INTO ticks(note) VALUES (@note)", """{"note": "{{input.note}}"}""",
            System.Text.Json.JsonSerializer.Serialize(new { note = hostile }));

        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
        Assert.Equal(hostile, Assert.Single(Sql("SELECT note FROM ticks"))[0]);
    }

    [Fact]
    public async Task Query_output_is_the_first_hundred_rows_as_objects()
    {
        Sql("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 150) INSERT INTO ticks(slot, note) SELECT i, 'n' || i FROM n");

        var outcome = await Execute("SELECT slot, note, ratio FROM ticks WHERE slot >= @from ORDER BY slot", """{"from": 1}""");

        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
        var rows = TestContexts.Json(outcome.OutputJson).EnumerateArray().ToList();
        Assert.Equal(100, rows.Count);
        Assert.Equal(1, rows[0].GetProperty("slot").GetInt64());
        Assert.Equal("n100", rows[99].GetProperty("note").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, rows[0].GetProperty("ratio").ValueKind);
    }

    [Fact]
    public async Task Failing_statement_is_rejected_and_rolls_back_the_transaction()
    {
        var outcome = await Execute("INSERT INTO ticks(slot) VALUES (@slot); INSERT INTO missing(x) VALUES (1)", """{"slot": 7}""");

        Assert.False(outcome.Succeeded);
        Assert.Equal(ErrorKinds.Rejected, outcome.ErrorKind);
        Assert.Contains("no such table: missing", outcome.ErrorMessage);
        Assert.Empty(Sql("SELECT * FROM ticks"));
    }

    [Fact]
    public async Task Missing_parameter_is_rejected()
    {
        var outcome = await Execute("INSERT INTO ticks(slot) VALUES (@slot)");

        Assert.Equal(ErrorKinds.Rejected, outcome.ErrorKind);
    }

    [Fact]
    public async Task Database_that_cannot_be_opened_fails_with_connection_refused()
    {
        var outcome = await Execute("SELECT 1", connection: $"Data Source={Path.Combine(_directory, "no", "such", "dir", "x.db")}");

        Assert.False(outcome.Succeeded);
        Assert.Equal(ErrorKinds.ConnectionRefused, outcome.ErrorKind);
    }

    [Fact]
    public async Task Locked_database_fails_with_timeout_at_the_definition_timeout()
    {
        using var holder = new SqliteConnection(_connection);
        holder.Open();
        using (var begin = holder.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE";
            begin.ExecuteNonQuery();
        }

        var started = DateTime.UtcNow;
        var outcome = await Execute("INSERT INTO ticks(slot) VALUES (1)", extra: """, "timeout_ms": 300""");

        Assert.Equal(ErrorKinds.Timeout, outcome.ErrorKind);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Connection_string_that_renders_invalid_fails_without_echoing_it()
    {
        var outcome = await Execute("SELECT 1", connection: "{{input.cs}}", input: """{"cs": "Bogus Key=hunter2"}""");

        Assert.Equal(ErrorKinds.Exception, outcome.ErrorKind);
        Assert.DoesNotContain("hunter2", outcome.ErrorMessage);
    }
}
