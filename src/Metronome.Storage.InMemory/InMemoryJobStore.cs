using Metronome.Core.Catalog;
using Metronome.Core.Events;
using Metronome.Core.Jobs;
using Metronome.Core.Runs;
using Metronome.Core.Scheduling;
using Metronome.Core.Storage;
using Metronome.Storage.InMemory.Internal;

namespace Metronome.Storage.InMemory;

/// <summary>
/// A store that keeps everything in the process's memory: for embedded and development use, tests of hosts, and for
/// measuring the engine without a database. Nothing survives the process. Every member runs under one lock, which is
/// the transaction: a claim, a batch of completions or a command is applied whole. Every lifecycle decision is
/// <see cref="Core.Scheduling.JobLedger"/>'s, as in the SQL stores; this store is the ledger over plain dictionaries, its
/// reference implementation.
/// </summary>
/// <remarks>
/// Lists (jobs by product, runs by product) scan and sort what they return, which is fine for the sizes this store is
/// meant for; lookups by id, tag and the engine's batch operations are hash-table lookups.
/// </remarks>
public sealed partial class InMemoryJobStore : IJobStore, ICatalogStore, Core.Audit.IAuditLog, IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly InMemoryStoreOptions _options;
    private readonly RunIdGenerator _runIds;

    private readonly Dictionary<long, Job> _jobs = [];
    private readonly Dictionary<(string Product, string Tag), long> _jobIds = [];
    private long _lastJobId;

    private readonly Dictionary<string, RunRow> _runs = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Product, string JobTag), RunHistory> _histories = [];
    private readonly Dictionary<long, RunHistory> _historyByJob = [];

    private readonly SortedDictionary<string, ProductRecord> _products = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ProductKeyRecord> _keysByHash = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Product, string Name), string> _secrets = [];
    private readonly Dictionary<(string Product, string Name), DateTimeOffset> _secretsUpdatedAt = [];
    private readonly Dictionary<(string Product, string Type, string Tag), EventRecord> _events = [];

    /// <summary>Creates an empty store.</summary>
    /// <param name="time">The clock of run ids.</param>
    /// <param name="options">Retention of finished runs; defaults when null.</param>
    public InMemoryJobStore(TimeProvider time, InMemoryStoreOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        _options = options ?? new InMemoryStoreOptions();
        if (_options.FinishedRunsPerJob < 1)
            throw new ArgumentOutOfRangeException(nameof(options), "InMemoryStoreOptions.FinishedRunsPerJob must be positive.");
        _time = time;
        _runIds = new RunIdGenerator(time);
    }

    /// <summary>Number of jobs stored.</summary>
    public int JobCount { get { lock (_gate) return _jobs.Count; } }

    /// <summary>Number of runs stored.</summary>
    public int RunCount { get { lock (_gate) return _runs.Count; } }

    /// <inheritdoc />
    public Task MigrateAsync(CancellationToken ct) => Task.CompletedTask;

    /// <inheritdoc />
    /// <remarks>Always ready: there is no schema and nothing to refuse writes (and nothing is kept across a restart).</remarks>
    public Task<StoreReadiness> CheckReadinessAsync(CancellationToken ct) =>
        Task.FromResult(new StoreReadiness(true, "in memory: nothing is kept across a restart"));

    /// <summary>Nothing to release; present so hosts can treat every store alike.</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>Stores a new run (under the lock). Grid slots are unique per job, as the SQL stores' unique index makes them.</summary>
    private void InsertRun(Run run, int maxAttempts, bool checkSlot)
    {
        // A job's (product, tag) never changes, so its history is cached by job id: one long-keyed lookup per claimed slot.
        if (!_historyByJob.TryGetValue(run.JobId, out var history) || history.Product != run.Product || history.JobTag != run.JobTag)
        {
            var key = (run.Product, run.JobTag);
            if (!_histories.TryGetValue(key, out history)) _histories[key] = history = new RunHistory(run.Product, run.JobTag);
            _historyByJob[run.JobId] = history;
        }
        if (checkSlot && run.Slot > 0 && history.Rows.Exists(r => r.Run.JobId == run.JobId && r.Run.Slot == run.Slot))
            throw new InvalidOperationException($"job {run.JobId} already has a run for slot {run.Slot}");
        var row = new RunRow(run, maxAttempts, history);
        if (!_runs.TryAdd(run.Id, row)) throw new InvalidOperationException($"run {run.Id} already exists");
        history.Add(row);
    }

    /// <summary>Adds skipped slots to a job's open skipped run (under the lock); a run pruned meanwhile is not brought back.</summary>
    private void ExtendSkipped(SkipExtension more)
    {
        if (_runs.TryGetValue(more.RunId, out var row))
            row.Run = row.Run with { SkippedCount = row.Run.SkippedCount + more.Count, FinishedAt = more.At };
    }

    /// <summary>Inserts a run as a raw row would be (tests prove the slot constraint with it).</summary>
    internal void InsertRawRun(Run run)
    {
        lock (_gate) InsertRun(run, 1, checkSlot: true);
    }

}
