using Metronome.Core.Jobs;
using Metronome.Core.Runs;

namespace Metronome.Core.Storage;

/// <summary>
/// Work the engine owes after a transaction that already committed (issue 14), kept in the store so that a crash between the
/// commit and the work neither loses it nor does it twice: the <c>on_failure</c> hooks of failed runs (a run whose
/// <see cref="Run.OnFailure"/> is <see cref="FailureHookStatuses.Pending"/>, marked in the transaction that finished it) and
/// the audit notices of changes the engine made (an automatic pause, a resume at <c>until</c>).
/// </summary>
/// <param name="Hooks">Failed runs whose hook has not run, oldest first.</param>
/// <param name="Notices">Engine changes not yet written to the audit log, oldest first.</param>
public sealed record FollowUps(IReadOnlyList<PendingFailureHook> Hooks, IReadOnlyList<JobNotice> Notices)
{
    public static FollowUps None { get; } = new([], []);
}

/// <summary>A failed run whose job's <c>on_failure</c> hook is pending, with the job as it stands now (null when deleted).</summary>
public sealed record PendingFailureHook(Run FailedRun, Job? Job);

/// <summary>A change the engine made to a job, for the audit log (actor <c>engine</c>).</summary>
/// <param name="Id">The notice's id in the store.</param>
/// <param name="Action"><c>job.pause</c> (by <c>pause_after_failures</c>) or <c>job.resume</c> (at <c>until</c>).</param>
/// <param name="Reason">Why, in a sentence.</param>
/// <param name="At">When the change was committed.</param>
public sealed record JobNotice(long Id, string Product, string JobTag, string Action, string Reason, DateTimeOffset At);

/// <summary>The actions of <see cref="JobNotice"/>.</summary>
public static class JobNoticeActions
{
    public const string Pause = "job.pause";
    public const string Resume = "job.resume";
}

/// <summary>What the engine did with <see cref="FollowUps"/>: hooks run (their outcome recorded on the failed run), notices written.</summary>
/// <param name="Hooks">Run id → the hook's final state; a run whose hook is no longer pending is left as it is.</param>
/// <param name="Notices">Ids of the notices written to the audit log (deleted from the store).</param>
public sealed record FollowUpResults(IReadOnlyList<(string RunId, FailureHookState State)> Hooks, IReadOnlyList<long> Notices);
