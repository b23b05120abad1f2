using System.Threading.Channels;
using Metronome.Core.Hosting;
using Metronome.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Metronome.Core.Engine;

/// <summary>
/// Group commit of run outcomes (River's completer): attempts finish concurrently and queue their outcome here; one loop,
/// on a thread of its own, writes everything queued so far in one transaction. While the engine runs, a failed write is
/// retried with backoff, never dropped. At stop it takes no more outcomes and flushes what is queued until the host's
/// shutdown token fires; then it gives up and counts what it left (<see cref="LeftAtStop"/>, in the engine's stop line): those
/// runs stay <c>running</c> in the store and recovery settles them, exactly as after a crash.
/// </summary>
internal sealed class CompletionWriter(IJobStore store, TimeProvider time, IOptions<MetronomeOptions> options, ILogger<CompletionWriter> logger,
    EngineProbe probe, Telemetry.EngineMetrics metrics) : EngineService(logger, "metronome-writer")
{
    private readonly int _batchSize = options.Value.CompletionBatchSize;
    private readonly Channel<RunCompletion> _queue = Channel.CreateUnbounded<RunCompletion>(new UnboundedChannelOptions { SingleReader = true });
    private int _pending;

    /// <summary>After each written batch, with the jobs it released (an overlap-skipped job due again).</summary>
    public event Action<IReadOnlyList<ScheduleEntry>>? Written;

    /// <summary>Outcomes queued and not yet written.</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>Outcomes the last stop left unwritten when the shutdown token fired.</summary>
    public int LeftAtStop { get; private set; }

    public void Enqueue(RunCompletion completion)
    {
        Interlocked.Increment(ref _pending);
        if (_queue.Writer.TryWrite(completion)) return;
        Interlocked.Decrement(ref _pending);
        Logger.LogError("Outcome of run {RunId} arrived after shutdown; recovery will settle it", completion.RunId);
    }

    /// <summary>Takes no more outcomes: the loop ends once the queue is written (or the shutdown token fires).</summary>
    protected override void RequestStop() => _queue.Writer.TryComplete();

    protected override async Task RunAsync(CancellationToken stop)
    {
        var batch = new List<RunCompletion>(_batchSize);
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(stop))
            {
                while (batch.Count < _batchSize && reader.TryRead(out var c)) batch.Add(c);
                await WriteAsync(batch, stop);
                batch.Clear();
            }
        }
        catch (Exception) when (stop.IsCancellationRequested)
        {
            // The shutdown token fired (the write in progress may have failed otherwise: a dropped connection).
            LeftAtStop = Pending; // queued and not written, the batch in hand included; the engine's stop line reports them
        }
    }

    private async Task WriteAsync(List<RunCompletion> batch, CancellationToken stop)
    {
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            try
            {
                var started = time.GetTimestamp();
                var released = await store.CompleteRunsAsync(batch, stop);
                if (metrics.MeasuresCommits) metrics.CommitTook(time.GetElapsedTime(started));
                Interlocked.Add(ref _pending, -batch.Count);
                probe.OnPersisted(batch.Count);
                Written?.Invoke(released);
                return;
            }
            catch (Exception ex) when (!stop.IsCancellationRequested)
            {
                Logger.LogError(ex, "Writing {Count} run outcomes failed; retrying in {Delay}", batch.Count, delay);
                await Task.Delay(delay, time, stop);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
    }
}
