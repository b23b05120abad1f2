using Metronome.Testing;
using Npgsql;

namespace Metronome.Storage.Conformance;

/// <summary>
/// One real PostgreSQL server (and one database) per test class that uses it; each test gets its own schema
/// (<see cref="CreateSchemaAsync"/>), so tests never see each other's rows or notifications.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private PostgresServer? _server;
    private string _database = "";

    public PostgresServer Server => _server ?? throw new InvalidOperationException("the PostgreSQL fixture is not started");

    public async Task InitializeAsync()
    {
        _server = await PostgresServer.StartAsync();
        _database = await _server.CreateDatabaseAsync("conformance");
    }

    /// <summary>Creates a fresh schema and returns a connection string whose search path is that schema.</summary>
    public async Task<(string ConnectionString, string Schema)> CreateSchemaAsync()
    {
        var schema = $"t_{Guid.NewGuid():N}";
        await ExecuteAsync($"CREATE SCHEMA {schema}");
        var builder = new NpgsqlConnectionStringBuilder(_database) { SearchPath = schema };
        return (builder.ConnectionString, schema);
    }

    public Task DropSchemaAsync(string schema) => ExecuteAsync($"DROP SCHEMA IF EXISTS {schema} CASCADE");

    public async Task ExecuteAsync(string sql, string? connectionString = null)
    {
        await using var connection = new NpgsqlConnection(connectionString ?? _database);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, connection);
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}
