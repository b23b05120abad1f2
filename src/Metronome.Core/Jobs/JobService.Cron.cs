using Metronome.Contracts;
using Metronome.Core.Scheduling;

namespace Metronome.Core.Jobs;

public sealed partial class JobService
{
    /// <summary>How many due instants <c>next_runs</c> and the schedule preview show.</summary>
    public const int NextRunsShown = 5;

    /// <summary>One job on the wire with <c>next_runs</c>: its next five grid instants after now (jitter not included).</summary>
    public async Task<ProductJob> GetWithNextRunsAsync(string product, string tag, CancellationToken ct = default)
    {
        var job = await GetAsync(product, tag, ct);
        var wire = job.ToContract();
        wire.NextRuns = JobGrid.NextRuns(job, _time.GetUtcNow(), NextRunsShown);
        return wire;
    }

    /// <summary>
    /// The next five due instants of a schedule not saved yet (<c>POST …/schedule:preview</c>): a cron expression read in its zone,
    /// or intervals, from start_at (default now) as a new job would have them. 400 with the fields at fault.
    /// </summary>
    public async Task<SchedulePreview> PreviewScheduleAsync(string product, SchedulePreviewRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        await RequireProductAsync(product, ct);
        var now = _time.GetUtcNow();
        var schedule = JobValidator.ValidatePreview(request, _options.Limits, now);
        return new SchedulePreview
        {
            NextRuns = JobGrid.Preview(schedule.Cron, schedule.TimeZone, schedule.IntervalMs, schedule.StartAt, now, NextRunsShown),
        };
    }
}
