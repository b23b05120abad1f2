using System.Threading.Channels;

namespace Metronome.Core.Audit;

/// <summary>
/// Group commit for the audit log: records written at the same time (many concurrent API changes) go to the store in one
/// <see cref="IAuditSink.RecordBatchAsync"/> call, one transaction and one disk flush, instead of one each. Each caller
/// still waits until its own record is durable (so a change's entry is in <c>GET …/audit</c> once the change's call has
/// answered), and a failed write fails every caller of that batch. A lone record is written at once: nothing waits to fill
/// a batch, a batch is simply what queued while the previous one was being written.
/// </summary>
internal sealed class AuditBatcher(IAuditSink inner) : IAuditSink
{
    private const int MaxBatch = 512;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private int _started;

    public ValueTask RecordAsync(AuditRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        var pending = new Pending(record, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        _queue.Writer.TryWrite(pending); // unbounded and never completed: always accepted
        if (Interlocked.Exchange(ref _started, 1) == 0) _ = Task.Run(WriteLoopAsync, CancellationToken.None);
        return new ValueTask(pending.Done.Task.WaitAsync(cancellationToken));
    }

    /// <summary>
    /// Queues every record before waiting for any, so that they share the next writes (a bulk create's thousand records are
    /// one or two transactions, not a thousand in a row).
    /// </summary>
    public ValueTask RecordBatchAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0) return ValueTask.CompletedTask;
        var written = new Task[records.Count];
        for (int i = 0; i < records.Count; i++) written[i] = RecordAsync(records[i], cancellationToken).AsTask();
        return new ValueTask(Task.WhenAll(written));
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Pending>();
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var pending)) batch.Add(pending);
            try
            {
                await inner.RecordBatchAsync(batch.ConvertAll(p => p.Record), CancellationToken.None).ConfigureAwait(false);
                foreach (var p in batch) p.Done.TrySetResult();
            }
#pragma warning disable CA1031 // the error belongs to the callers waiting on this batch, and the loop must go on for the next
            catch (Exception e)
#pragma warning restore CA1031
            {
                foreach (var p in batch) p.Done.TrySetException(e);
            }
            batch.Clear();
        }
    }

    private sealed record Pending(AuditRecord Record, TaskCompletionSource Done);
}
