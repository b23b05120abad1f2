namespace Metronome.Core.Tests.Engine;

/// <summary>Waits measured on the test's fake clock only: nothing here waits on the wall clock.</summary>
internal static class FakeClock
{
    /// <summary>
    /// Completes once <paramref name="time"/> has been advanced by <paramref name="length"/> (a call of that length, as an
    /// executor under test sees it); cancelled by <paramref name="ct"/>.
    /// </summary>
    public static Task Elapse(TimeProvider time, TimeSpan length, CancellationToken ct)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var timer = time.CreateTimer(_ => done.TrySetResult(), null, length, Timeout.InfiniteTimeSpan);
        var cancel = ct.Register(() => done.TrySetCanceled(ct));
        _ = done.Task.ContinueWith(_ => { timer.Dispose(); cancel.Dispose(); }, CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return done.Task;
    }
}
