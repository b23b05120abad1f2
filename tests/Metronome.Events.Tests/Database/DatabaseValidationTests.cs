using System.Text.Json.Nodes;

namespace Metronome.Events.Tests.Database;

public sealed class DatabaseValidationTests
{
    private const string Valid = """
        {"provider": "sqlite", "connection": "Data Source=/var/app/app.db", "statement": "INSERT INTO ticks(slot, note) VALUES (@slot, @note)",
         "parameters": {"slot": "{{run.slot}}", "note": "{{input.note}}"}}
        """;

    private static Dictionary<string, string[]> Errors(string json) =>
        TestContexts.ValidationErrorsOf(TestContexts.Executor("database_action"), json);

    private static string With(string name, string? value)
    {
        var node = JsonNode.Parse(Valid)!.AsObject();
        if (value is null) node.Remove(name);
        else node[name] = JsonNode.Parse(value);
        return node.ToJsonString();
    }

    [Fact]
    public void Spec_examples_are_valid()
    {
        Assert.Empty(Errors(Valid));
        Assert.Empty(Errors("""
            {"provider": "postgres", "connection": "{{secrets.PG}}", "statement": "INSERT INTO ticks(slot) VALUES (@slot)", "parameters": {"slot": "{{run.slot}}"}}
            """));
        Assert.Empty(Errors("""{"provider": "postgres", "connection": "Host=db;Username=u;Password=p;Database=d", "statement": "SELECT 1"}"""));
    }

    [Theory]
    [InlineData("provider", null, "definition.provider")]
    [InlineData("provider", "\"mysql\"", "definition.provider")]
    [InlineData("provider", "1", "definition.provider")]
    [InlineData("connection", null, "definition.connection")]
    [InlineData("connection", "\"\"", "definition.connection")]
    [InlineData("connection", "\"Data Sorce=/x.db\"", "definition.connection")]
    [InlineData("connection", "\"{{secret.DB}}\"", "definition.connection")]
    [InlineData("statement", null, "definition.statement")]
    [InlineData("statement", "42", "definition.statement")]
    [InlineData("statement", "\"INSERT INTO t VALUES ('{{input.note}}')\"", "definition.statement")]
    [InlineData("parameters", "[1]", "definition.parameters")]
    [InlineData("parameters", """{"bad-name": 1}""", "definition.parameters.bad-name")]
    [InlineData("parameters", """{"note": "{{input}} {{other.x}}"}""", "definition.parameters.note")]
    [InlineData("timeout_ms", "-1", "definition.timeout_ms")]
    [InlineData("rows", "10", "definition.rows")]
    public void Errors_name_the_field(string field, string? value, string expected) =>
        Assert.Contains(expected, Errors(With(field, value)).Keys);

    [Fact]
    public void Postgres_connection_string_is_checked_for_its_own_keywords() =>
        Assert.Contains("definition.connection", Errors("""{"provider": "postgres", "connection": "Data Source=/x.db", "statement": "SELECT 1"}""").Keys);
}
