using Xunit.Abstractions;
using Metronome.Core.Runs;
using Metronome.Storage.Postgres;
using Npgsql;

namespace Metronome.Storage.Conformance;

/// <summary>
/// The conformance suite on PostgreSQL: a real server per class (<see cref="PostgresFixture"/>), a fresh schema per test.
/// The suite drives time with a fake clock, so claims here decide by the caller's clock (<see cref="PostgresStoreOptions.UseDatabaseClock"/>
/// off); <see cref="PostgresClusterStoreTests"/> covers the database clock.
/// </summary>
public sealed class PostgresJobStoreTests : JobStoreConformanceTests, IClassFixture<PostgresFixture>
{
    private readonly PostgresFixture _pg;
    private string? _connectionString;
    private string? _schema;

    public PostgresJobStoreTests(PostgresFixture pg, ITestOutputHelper output)
    {
        _pg = pg;
        Output = output;
    }

    protected override async Task<StoreUnderTest> OpenStoreAsync(TimeProvider time)
    {
        if (_connectionString is null) (_connectionString, _schema) = await _pg.CreateSchemaAsync();
        var store = new PostgresJobStore(new PostgresStoreOptions { ConnectionString = _connectionString, UseDatabaseClock = false }, time);
        return new StoreUnderTest(store, store, store);
    }

    protected override async Task InsertRunRowAsync(Run run)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO runs (id, job_id, product, job_tag, slot, attempt, max_attempts, scheduled_at, status)
            VALUES (@id, @job_id, @product, @job_tag, @slot, 1, 1, @scheduled_at, 'running')
            """, connection);
        cmd.Parameters.AddWithValue("id", run.Id);
        cmd.Parameters.AddWithValue("job_id", run.JobId);
        cmd.Parameters.AddWithValue("product", run.Product);
        cmd.Parameters.AddWithValue("job_tag", run.JobTag);
        cmd.Parameters.AddWithValue("slot", run.Slot);
        cmd.Parameters.AddWithValue("scheduled_at", run.ScheduledAt.ToUnixTimeMilliseconds());
        await cmd.ExecuteNonQueryAsync();
    }

    protected override async Task DropDatabaseAsync()
    {
        if (_schema is not null) await _pg.DropSchemaAsync(_schema);
    }
}
