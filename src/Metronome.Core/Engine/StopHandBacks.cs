using System.Collections.Concurrent;
using Metronome.Core.Storage;

namespace Metronome.Core.Engine;

/// <summary>
/// What a stopping <see cref="RunDispatcher"/> collects: the attempts it gives back (not started, or cancelled at the stop's
/// deadline), from whichever thread they leave on, and how many attempts finished during the stop.
/// </summary>
internal sealed class StopHandBacks
{
    private readonly ConcurrentQueue<RunHandBack> _runs = new();
    private int _finished;

    /// <summary>Gives back <paramref name="run"/>'s attempt, to run again as is at <paramref name="at"/>.</summary>
    public void Add(ClaimedRun run, DateTimeOffset at) => _runs.Enqueue(new RunHandBack(run.Run.Id, run.Run.Attempt, at));

    /// <summary>An attempt finished during the stop (its outcome is queued for the writer).</summary>
    public void Finished() => Interlocked.Increment(ref _finished);

    /// <summary>Takes what was collected so far.</summary>
    public DispatcherStop Take(int stillRunning)
    {
        var runs = new List<RunHandBack>(_runs.Count);
        while (_runs.TryDequeue(out var back)) runs.Add(back);
        return new DispatcherStop(Volatile.Read(ref _finished), runs, stillRunning);
    }
}

/// <summary>What a stop of the dispatcher left.</summary>
/// <param name="Finished">Attempts that finished during the stop (their outcomes queued for the writer).</param>
/// <param name="HandBack">Attempts not started, or cancelled at the deadline, to hand back as the same attempt.</param>
/// <param name="StillRunning">Attempts that had not unwound when the shutdown token fired (left running for recovery).</param>
internal sealed record DispatcherStop(int Finished, IReadOnlyList<RunHandBack> HandBack, int StillRunning);
