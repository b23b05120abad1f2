using Metronome.Core.Jobs;
using Metronome.Core.Runs;
using Metronome.Core.Storage;

namespace Metronome.Core.Tests;

/// <summary>
/// An <see cref="IJobStore"/> that passes every call to <paramref name="inner"/>: a test store overrides only the calls it
/// gates or breaks, and a member added to the interface is added here once.
/// </summary>
internal abstract class DelegatingJobStore(IJobStore inner) : IJobStore
{
    public virtual Task MigrateAsync(CancellationToken ct) => inner.MigrateAsync(ct);
    public virtual Task<StoreReadiness> CheckReadinessAsync(CancellationToken ct) => inner.CheckReadinessAsync(ct);
    public virtual Task<IReadOnlyList<ScheduleEntry>> LoadScheduleAsync(CancellationToken ct) => inner.LoadScheduleAsync(ct);
    public virtual Task<ClaimResult> ClaimDueSlotsAsync(ClaimParams p, CancellationToken ct) => inner.ClaimDueSlotsAsync(p, ct);
    public virtual Task<IReadOnlyList<ScheduleEntry>> CompleteRunsAsync(IReadOnlyList<RunCompletion> completions, CancellationToken ct) => inner.CompleteRunsAsync(completions, ct);
    public virtual Task<RecoverResult> RecoverRunsAsync(RecoverParams p, CancellationToken ct) => inner.RecoverRunsAsync(p, ct);
    public virtual Task<int> HandBackRunsAsync(HandBackParams p, CancellationToken ct) => inner.HandBackRunsAsync(p, ct);
    public virtual Task<int> PruneRunsAsync(PruneParams p, CancellationToken ct) => inner.PruneRunsAsync(p, ct);
    public virtual Task<Job> CreateJobAsync(Job job, CancellationToken ct) => inner.CreateJobAsync(job, ct);
    public virtual Task<Job?> GetJobAsync(string product, string tag, CancellationToken ct) => inner.GetJobAsync(product, tag, ct);
    public virtual Task<PageResult<Job>> ListJobsAsync(JobQuery query, CancellationToken ct) => inner.ListJobsAsync(query, ct);
    public virtual Task<Job> ModifyJobAsync(string product, string tag, Func<Job, Job> change, CancellationToken ct) => inner.ModifyJobAsync(product, tag, change, ct);
    public virtual Task<long?> DeleteJobAsync(string product, string tag, CancellationToken ct) => inner.DeleteJobAsync(product, tag, ct);
    public virtual Task<ClaimedRun> TriggerJobAsync(TriggerParams p, CancellationToken ct) => inner.TriggerJobAsync(p, ct);
    public virtual Task<PageResult<Run>> ListRunsAsync(RunQuery query, CancellationToken ct) => inner.ListRunsAsync(query, ct);
    public virtual Task<Run?> GetRunAsync(string product, string runId, CancellationToken ct) => inner.GetRunAsync(product, runId, ct);
    public virtual Task<ProductActivity> GetProductActivityAsync(ActivityQuery query, CancellationToken ct) => inner.GetProductActivityAsync(query, ct);
    public virtual Task<IReadOnlyList<ScheduleEntry>> ResumePausedJobsAsync(DateTimeOffset now, CancellationToken ct) => inner.ResumePausedJobsAsync(now, ct);
    public virtual Task<FollowUps> ListFollowUpsAsync(int limit, CancellationToken ct) => inner.ListFollowUpsAsync(limit, ct);
    public virtual Task CompleteFollowUpsAsync(FollowUpResults results, CancellationToken ct) => inner.CompleteFollowUpsAsync(results, ct);
    public virtual Task<BackfillResult> BackfillJobAsync(BackfillParams p, CancellationToken ct) => inner.BackfillJobAsync(p, ct);
    public virtual Task<IReadOnlyList<ClaimedRun>> ClaimBackfillRunsAsync(BackfillClaimParams p, CancellationToken ct) => inner.ClaimBackfillRunsAsync(p, ct);
    public virtual Task<IReadOnlyList<JobCreateResult>> CreateJobsAsync(IReadOnlyList<Job> jobs, CancellationToken ct) => inner.CreateJobsAsync(jobs, ct);
}
