using Metronome.Core.Jobs;
using Metronome.Core.Runs;
using Metronome.Core.Scheduling;
using Metronome.Core.Storage;
using Metronome.Storage.InMemory.Internal;

namespace Metronome.Storage.InMemory;

/// <summary>Failure handling's follow-ups (issue 14): timed resumes, pending <c>on_failure</c> hooks, engine notices.</summary>
public sealed partial class InMemoryJobStore
{
    private readonly SortedSet<string> _pendingHooks = new(StringComparer.Ordinal);
    private readonly List<JobNotice> _notices = [];
    private long _lastNoticeId;

    /// <inheritdoc />
    public Task<IReadOnlyList<ScheduleEntry>> ResumePausedJobsAsync(DateTimeOffset now, CancellationToken ct)
    {
        var entries = new List<ScheduleEntry>();
        lock (_gate)
        {
            foreach (var job in _jobs.Values.Where(j => j.Status == JobStatus.Paused && j.PausedUntil <= now).OrderBy(j => j.Id).ToList())
            {
                var resumed = JobLedger.ResumeAt(job, now);
                if (resumed.Equals(job)) continue;
                _jobs[job.Id] = resumed;
                AddNotice(job, JobNoticeActions.Resume, JobLedger.ResumeReason(job.PausedUntil!.Value));
                entries.Add(new ScheduleEntry(resumed.Id, resumed.ScheduledDueAt));
            }
        }
        return Task.FromResult<IReadOnlyList<ScheduleEntry>>(entries);
    }

    /// <inheritdoc />
    public Task<FollowUps> ListFollowUpsAsync(int limit, CancellationToken ct)
    {
        lock (_gate)
        {
            var hooks = _pendingHooks.Where(_runs.ContainsKey).Take(limit)
                .Select(id => _runs[id].Run).Select(run => new PendingFailureHook(run, _jobs.GetValueOrDefault(run.JobId))).ToList();
            var notices = _notices.Take(limit).ToList();
            return Task.FromResult(hooks.Count == 0 && notices.Count == 0 ? FollowUps.None : new FollowUps(hooks, notices));
        }
    }

    /// <inheritdoc />
    public Task CompleteFollowUpsAsync(FollowUpResults results, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(results);
        lock (_gate)
        {
            foreach (var (runId, state) in results.Hooks)
            {
                if (!_pendingHooks.Remove(runId) || !_runs.TryGetValue(runId, out var row)) continue;
                row.Run = row.Run with { OnFailure = state };
            }
            var written = results.Notices.ToHashSet();
            _notices.RemoveAll(n => written.Contains(n.Id));
        }
        return Task.CompletedTask;
    }

    /// <summary>The run finished without success and its job has a hook: the hook is owed (caller holds the gate).</summary>
    private void MarkHookPending(RunRow row)
    {
        row.Run = row.Run with { OnFailure = new FailureHookState(FailureHookStatuses.Pending) };
        _pendingHooks.Add(row.Run.Id);
    }

    /// <summary>Records the notice of an automatic pause when a release paused an active job (caller holds the gate).</summary>
    private void NoticeAutoPause(Job before, Job after)
    {
        if (before.Status == JobStatus.Active && after.Status == JobStatus.Paused)
            AddNotice(after, JobNoticeActions.Pause, JobLedger.AutoPauseReason(after.ConsecutiveFailures));
    }

    private void AddNotice(Job job, string action, string reason) =>
        _notices.Add(new JobNotice(++_lastNoticeId, job.Product, job.Tag, action, reason, _time.GetUtcNow()));
}
