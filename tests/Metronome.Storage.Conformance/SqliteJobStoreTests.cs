using Xunit.Abstractions;
using Metronome.Core.Runs;
using Metronome.Core.Storage;
using Metronome.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Metronome.Storage.Conformance;

/// <summary>The conformance suite on SQLite: a fresh database file (in a fresh directory) per test.</summary>
public sealed class SqliteJobStoreTests : JobStoreConformanceTests
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "metronome-conformance", Guid.NewGuid().ToString("N"));

    public SqliteJobStoreTests(ITestOutputHelper output) => Output = output;

    private string DatabasePath => Path.Combine(_directory, "data", "metronome.db");

    protected override Task<StoreUnderTest> OpenStoreAsync(TimeProvider time)
    {
        var store = new SqliteJobStore(new SqliteStoreOptions { DatabasePath = DatabasePath }, time);
        return Task.FromResult(new StoreUnderTest(store, store, store));
    }

    protected override async Task InsertRunRowAsync(Run run)
    {
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        await connection.OpenAsync();
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            INSERT INTO runs (id, job_id, product, job_tag, slot, attempt, max_attempts, scheduled_at, status)
            VALUES ($id, $job_id, $product, $job_tag, $slot, 1, 1, $scheduled_at, 'running')
            """;
        cmd.Parameters.AddWithValue("$id", run.Id);
        cmd.Parameters.AddWithValue("$job_id", run.JobId);
        cmd.Parameters.AddWithValue("$product", run.Product);
        cmd.Parameters.AddWithValue("$job_tag", run.JobTag);
        cmd.Parameters.AddWithValue("$slot", run.Slot);
        cmd.Parameters.AddWithValue("$scheduled_at", run.ScheduledAt.ToUnixTimeMilliseconds());
        await cmd.ExecuteNonQueryAsync();
    }

    protected override Task DropDatabaseAsync()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }
}
