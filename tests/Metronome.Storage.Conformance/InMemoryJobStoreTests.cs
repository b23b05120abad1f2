using Xunit.Abstractions;
using Metronome.Core.Runs;
using Metronome.Storage.InMemory;

namespace Metronome.Storage.Conformance;

/// <summary>
/// The conformance suite on the in-memory store: a fresh store per test. The "database" is the store object itself, so a
/// second open returns the same instance (two handles on one database).
/// </summary>
public sealed class InMemoryJobStoreTests : JobStoreConformanceTests
{
    private InMemoryJobStore? _store;

    public InMemoryJobStoreTests(ITestOutputHelper output) => Output = output;

    protected override Task<StoreUnderTest> OpenStoreAsync(TimeProvider time)
    {
        _store ??= new InMemoryJobStore(time);
        return Task.FromResult(new StoreUnderTest(_store, _store, _store));
    }

    protected override Task InsertRunRowAsync(Run run)
    {
        _store!.InsertRawRun(run with { Attempt = 1, Status = RunStatus.Running, StartedAt = null });
        return Task.CompletedTask;
    }

    protected override Task DropDatabaseAsync() => Task.CompletedTask;
}
