using Metronome.Core.Execution;
using Metronome.Core.Runs;
using Metronome.Core.Scheduling;
using Metronome.Core.Storage;

namespace Metronome.Storage.InMemory;

public sealed partial class InMemoryJobStore
{
    /// <inheritdoc />
    public Task<BackfillResult> BackfillJobAsync(BackfillParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        lock (_gate)
        {
            var job = FindJob(p.Product, p.Tag) ?? throw JobNotFound(p.Product, p.Tag);
            var plan = BackfillLedger.Plan(job, p.From, p.To, p.Now);
            if (plan.Slots.Count == 0) return Task.FromResult(new BackfillResult(job.Id, 0, 0));
            long first = plan.Slots[0].Slot, last = plan.Slots[^1].Slot;
            var recorded = _historyByJob.TryGetValue(job.Id, out var history)
                ? history.Rows.Where(r => r.Run.JobId == job.Id && r.Run.Slot > 0 && r.Run.Slot <= last
                        && r.Run.Slot + Math.Max(1, r.Run.SkippedCount) > first)
                    .Select(r => new RecordedSlots(r.Run.Slot, r.Run.SkippedCount)).ToList()
                : [];
            var queued = BackfillLedger.Queue(job, plan, recorded, _runIds.Next);
            foreach (var run in queued) InsertRun(run, job.Retries.MaxAttempts, checkSlot: true);
            return Task.FromResult(new BackfillResult(job.Id, queued.Count, plan.Slots.Count));
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ClaimedRun>> ClaimBackfillRunsAsync(BackfillClaimParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        lock (_gate)
        {
            var byJob = _runs.Values.Where(r => r.Status == RunStatus.Running && r.Run.Node is null)
                .GroupBy(r => r.Run.JobId).Take(p.MaxJobs).ToList();
            var start = new List<ClaimedRun>();
            foreach (var group in byJob)
            {
                var job = _jobs.GetValueOrDefault(group.Key);
                var rows = group.OrderBy(r => r.Run.Slot).ToList();
                var claim = BackfillLedger.Claim(job, rows.Select(r => r.Run).ToList(), p.Node, p.Now);
                if (claim.JobGone)
                {
                    foreach (var row in rows)
                        row.Run = row.Run with
                        {
                            Status = RunStatus.Abandoned, FinishedAt = p.Now, ErrorKind = ErrorKinds.Abandoned, ErrorMessage = BackfillLedger.JobDeletedMessage,
                        };
                    continue;
                }
                var byId = rows.ToDictionary(r => r.Id, StringComparer.Ordinal);
                foreach (var claimed in claim.Start) byId[claimed.Run.Id].Run = claimed.Run;
                if (claim.Next is { } next) _jobs[next.Id] = next;
                start.AddRange(claim.Start);
            }
            return Task.FromResult<IReadOnlyList<ClaimedRun>>(start);
        }
    }
}
