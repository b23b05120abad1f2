using System.Threading.Channels;
using Metronome.Core.Storage;

namespace Metronome.Core.Jobs;

/// <summary>
/// Group commit of job creates: concurrent creates queue here and one writer inserts everything queued in one store
/// transaction (<see cref="IJobStore.CreateJobsAsync"/>), so N concurrent requests pay one commit (one fsync on SQLite)
/// instead of N. Each caller gets its own job or its own <see cref="ConflictException"/>.
/// </summary>
/// <remarks>
/// There is no long-lived loop: the create that finds the writer idle starts a drain on the thread pool, which writes
/// batch after batch while creates keep arriving and ends when the queue is empty. Batches form by themselves: whatever
/// queues during one commit is the next batch, so a lone create waits for nothing, and an idle process holds no task
/// and has nothing to stop.
/// </remarks>
internal sealed class JobCreateBatcher
{
    /// <summary>Most jobs written in one transaction.</summary>
    public const int DefaultMaxBatch = 1000;

    private readonly IJobStore _store;
    private readonly int _maxBatch;
    private readonly Channel<PendingCreate> _queue = Channel.CreateUnbounded<PendingCreate>(new UnboundedChannelOptions { SingleReader = true });
    private int _draining;

    public JobCreateBatcher(IJobStore store, int maxBatch = DefaultMaxBatch)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        _store = store;
        _maxBatch = maxBatch;
    }

    /// <summary>
    /// Inserts <paramref name="job"/> with the next batch. Throws <see cref="ConflictException"/> when its tag is taken
    /// (also by a job earlier in the same batch), or what the store threw for the whole batch. Cancelling before the
    /// batch is written leaves the job out (the task is cancelled); later, the wait lasts until that one commit ends.
    /// </summary>
    public Task<Job> CreateAsync(Job job, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(job);
        var pending = new PendingCreate(job, ct);
        if (!_queue.Writer.TryWrite(pending)) throw new InvalidOperationException("the create queue is closed"); // unbounded: never
        StartDrainIfIdle();
        // No WaitAsync(ct): a create cancelled while queued is dropped unwritten; once in a batch, it waits for that commit.
        return pending.Completion.Task;
    }

    private void StartDrainIfIdle()
    {
        if (Interlocked.CompareExchange(ref _draining, 1, 0) == 0) _ = Task.Run(DrainAsync);
    }

    private async Task DrainAsync()
    {
        var batch = new List<PendingCreate>();
        while (true)
        {
            while (batch.Count < _maxBatch && _queue.Reader.TryRead(out var pending))
            {
                if (pending.Cancellation.IsCancellationRequested) pending.Completion.TrySetCanceled(pending.Cancellation);
                else batch.Add(pending);
            }
            if (batch.Count == 0)
            {
                Volatile.Write(ref _draining, 0);
                // A create queued after the last read but before the flag was cleared saw the drain busy: take it over.
                if (!_queue.Reader.TryPeek(out _) || Interlocked.CompareExchange(ref _draining, 1, 0) != 0) return;
                continue;
            }
            await WriteAsync(batch).ConfigureAwait(false);
            batch.Clear();
        }
    }

    private async Task WriteAsync(List<PendingCreate> batch)
    {
        IReadOnlyList<JobCreateResult> results;
        try
        {
            var jobs = new Job[batch.Count];
            for (int i = 0; i < jobs.Length; i++) jobs[i] = batch[i].Job;
            // The batch belongs to many callers: one caller's cancellation must not abort the others' transaction.
            results = await _store.CreateJobsAsync(jobs, CancellationToken.None).ConfigureAwait(false);
            if (results.Count != batch.Count) throw new InvalidOperationException($"the store returned {results.Count} results for {batch.Count} jobs");
        }
        catch (Exception e)
        {
            foreach (var pending in batch) pending.Completion.TrySetException(e);
            return;
        }
        for (int i = 0; i < batch.Count; i++)
        {
            var result = results[i];
            if (result.Created is { } created) batch[i].Completion.TrySetResult(created);
            else batch[i].Completion.TrySetException(result.Conflict ?? JobCreateResult.TagTaken(batch[i].Job).Conflict!);
        }
    }

    private sealed class PendingCreate(Job job, CancellationToken cancellation)
    {
        public Job Job { get; } = job;
        public CancellationToken Cancellation { get; } = cancellation;
        // Continuations run on the pool, not inline on the drain: the next batch must not wait for HTTP responses.
        public TaskCompletionSource<Job> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
