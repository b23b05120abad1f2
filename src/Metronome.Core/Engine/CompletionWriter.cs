using System.Threading.Channels;
using Metronome.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Metronome.Core.Engine;

/// <summary>
/// Group commit of run outcomes: attempts finish concurrently and queue their outcome here; one loop writes
/// everything queued so far in one transaction. A failed write is retried with backoff, never dropped.
/// </summary>
internal sealed class CompletionWriter(IJobStore store, TimeProvider time, int batchSize, ILogger logger, EngineProbe probe,
    Action<IReadOnlyList<ScheduleEntry>> onReleased)
{
    private readonly Channel<RunCompletion> _queue = Channel.CreateUnbounded<RunCompletion>(new UnboundedChannelOptions { SingleReader = true });

    public void Enqueue(RunCompletion completion)
    {
        Interlocked.Increment(ref _pending);
        if (_queue.Writer.TryWrite(completion)) return;
        Interlocked.Decrement(ref _pending);
        logger.LogError("Outcome of run {RunId} arrived after shutdown; recovery will settle it", completion.RunId);
    }

    /// <summary>Outcomes queued and not yet written.</summary>
    public int Pending => Volatile.Read(ref _pending);

    private int _pending;

    /// <summary>Stops accepting outcomes; <see cref="RunAsync"/> ends after writing what is queued.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    public async Task RunAsync()
    {
        var batch = new List<RunCompletion>(batchSize);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync())
        {
            while (batch.Count < batchSize && reader.TryRead(out var c)) batch.Add(c);
            var delay = TimeSpan.FromMilliseconds(50);
            while (true)
            {
                try
                {
                    var released = await store.CompleteRunsAsync(batch, CancellationToken.None);
                    Interlocked.Add(ref _pending, -batch.Count);
                    probe.OnPersisted(batch.Count);
                    if (released.Count > 0) onReleased(released);
                    break;
                }
                catch (Exception ex)
                {
                    logger.LogError(ex, "Writing {Count} run outcomes failed; retrying in {Delay}", batch.Count, delay);
                    await Task.Delay(delay, time);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
                }
            }
            batch.Clear();
        }
    }
}
