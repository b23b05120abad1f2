using Metronome.Core;
using Metronome.Core.Jobs;
using Metronome.Core.Runs;
using Metronome.Core.Scheduling;
using Metronome.Core.Storage;
using Metronome.Storage.InMemory.Internal;

namespace Metronome.Storage.InMemory;

public sealed partial class InMemoryJobStore
{
    /// <inheritdoc />
    /// <remarks>A final completion only applies to a run still <c>running</c>: a duplicate report changes nothing.</remarks>
    public Task<IReadOnlyList<ScheduleEntry>> CompleteRunsAsync(IReadOnlyList<RunCompletion> completions, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(completions);
        if (completions.Count == 0) return Task.FromResult<IReadOnlyList<ScheduleEntry>>([]);
        var released = new ReleaseTally();
        var entries = new List<ScheduleEntry>();
        lock (_gate)
        {
            HashSet<RunHistory>? grown = null;
            foreach (var done in completions)
            {
                if (!_runs.TryGetValue(done.RunId, out var row) || row.Status != RunStatus.Running || !JobLedger.Applies(row.Run, done)) continue;
                if (done.RetryAt is { } retryAt)
                {
                    var failed = new RunAttempt(done.Attempt, done.StartedAt, done.FinishedAt, done.Status, done.ErrorKind, done.ErrorMessage);
                    row.Run = row.Run with
                    {
                        Attempt = done.Attempt + 1, ErrorMessage = done.ErrorMessage, ErrorKind = done.ErrorKind,
                        PreviousAttempts = [.. row.Run.PreviousAttempts, failed],
                    };
                    row.RetryAt = retryAt;
                    continue;
                }
                row.Finish(done);
                if (JobLedger.RunsFailureHook(done.Status) && _jobs.GetValueOrDefault(done.JobId) is { OnFailure: not null }) MarkHookPending(row);
                var history = row.History;
                if (history.Rows.Count > _options.FinishedRunsPerJob) (grown ??= []).Add(history);
                released.Add(done.JobId, done.StartedAt, done.Status);
            }
            if (grown is not null)
                foreach (var history in grown) history.Trim(_options.FinishedRunsPerJob, _runs);
            foreach (var release in released.Releases)
            {
                if (!_jobs.TryGetValue(release.JobId, out var job)) continue; // the job was deleted: the run is history
                var before = job;
                _jobs[job.Id] = job = JobLedger.Release(job, release);
                NoticeAutoPause(before, job);
                if (JobLedger.AfterRelease(job) is { } entry) entries.Add(entry);
            }
        }
        return Task.FromResult<IReadOnlyList<ScheduleEntry>>(entries);
    }

    /// <inheritdoc />
    public Task<RecoverResult> RecoverRunsAsync(RecoverParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        var owners = p.OwnerNodes?.ToHashSet(StringComparer.Ordinal);
        var resume = new List<ClaimedRun>();
        int abandoned = 0;
        lock (_gate)
        {
            var orphans = _runs.Values
                .Where(r => r.Run.Status == RunStatus.Running && r.Run.Node is { } n && (owners is null || owners.Contains(n))) // a queued backfill run has no node
                .OrderBy(r => r.Run.Id, StringComparer.Ordinal).ToList();
            foreach (var row in orphans)
            {
                var decision = JobLedger.Recover(new Orphan(row.Run, row.RetryAt, row.MaxAttempts), _jobs.GetValueOrDefault(row.Run.JobId), p.Node, p.Now);
                if (decision.Resume is { } resumed)
                {
                    var lost = row.Run;
                    row.Run = resumed.Run.Attempt > lost.Attempt
                        ? resumed.Run with
                        {
                            PreviousAttempts = [.. lost.PreviousAttempts, new RunAttempt(lost.Attempt, lost.StartedAt, p.Now,
                                RunStatus.Abandoned, JobLedger.AbandonedKind, JobLedger.AbandonedMessage)],
                        }
                        : resumed.Run;
                    resume.Add(resumed);
                    continue;
                }
                row.Run = decision.Abandoned!;
                row.RetryAt = null;
                abandoned++;
                if (_jobs.GetValueOrDefault(row.Run.JobId) is { OnFailure: not null }) MarkHookPending(row);
                if (decision.Job is not { } job) continue;
                NoticeAutoPause(_jobs[job.Id], job);
                _jobs[job.Id] = job;
            }
        }
        return Task.FromResult(new RecoverResult(resume, abandoned));
    }

    /// <inheritdoc />
    public Task<int> HandBackRunsAsync(HandBackParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        int handedBack = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        lock (_gate)
        {
            foreach (var back in p.Runs)
            {
                if (!seen.Add(back.RunId) || !_runs.TryGetValue(back.RunId, out var row)) continue;
                if (JobLedger.HandBack(new Orphan(row.Run, row.RetryAt, row.MaxAttempts), back, p.Node) is not { } pending) continue;
                row.Run = pending.Run;
                row.RetryAt = pending.RetryAt;
                handedBack++;
            }
        }
        return Task.FromResult(handedBack);
    }

    /// <inheritdoc />
    public Task<int> PruneRunsAsync(PruneParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        int keep = Math.Max(0, p.KeepPerJob), deleted = 0;
        lock (_gate)
        {
            foreach (var history in _histories.Values)
            {
                int newestRank = history.Rows.Count; // rank 1 is the newest run, as ROW_NUMBER() ... ORDER BY id DESC
                deleted += history.Rows.RemoveAll(row =>
                {
                    int rank = newestRank--;
                    bool prune = row.Run.Status != RunStatus.Running && (row.Run.FinishedAt < p.OlderThan || rank > keep);
                    if (prune) _runs.Remove(row.Run.Id);
                    return prune;
                });
            }
        }
        return Task.FromResult(deleted);
    }

    /// <inheritdoc />
    public Task<PageResult<Run>> ListRunsAsync(RunQuery query, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);
        StorePaging.RunsBefore(query);
        int limit = Math.Max(1, query.Limit);
        var items = new List<Run>();
        lock (_gate)
        {
            IEnumerable<RunHistory> histories = query.JobTag is null
                ? _histories.Where(h => h.Key.Product == query.Product).Select(h => h.Value)
                : _histories.TryGetValue((query.Product, query.JobTag), out var one) ? [one] : [];
            foreach (var history in histories)
                for (int i = history.Rows.Count - 1; i >= 0; i--)
                {
                    var run = history.Rows[i].Run;
                    if (query.Cursor is not null && string.CompareOrdinal(run.Id, query.Cursor) >= 0) continue;
                    if (query.Status is { } status && run.Status != status) continue;
                    if (query.Statuses is { Count: > 0 } statuses && !statuses.Contains(run.Status)) continue;
                    if (query.Slot is { } slot && run.Slot != slot) continue;
                    items.Add(run);
                    if (query.JobTag is not null && items.Count > limit) break; // one history is already newest first
                }
        }
        items.Sort((a, b) => string.CompareOrdinal(b.Id, a.Id));
        return Task.FromResult(StorePaging.Page(items, limit, r => r.Id));
    }

    /// <inheritdoc />
    public Task<Run?> GetRunAsync(string product, string runId, CancellationToken ct)
    {
        lock (_gate)
            return Task.FromResult(_runs.TryGetValue(runId, out var row) && row.Run.Product == product ? row.Run : null);
    }
}
