using Metronome.Contracts;
using Metronome.Core.Scheduling;

namespace Metronome.Core.Jobs;

/// <summary>Failure handling (issue 14): the <c>on_failure</c> event check and the pause with <c>until</c>.</summary>
public sealed partial class JobService
{
    /// <summary>
    /// Pauses a job; with <see cref="JobPauseRequest.Until"/> (an instant in the future, else 400 naming <c>until</c>) the
    /// cluster's leader resumes it then, as a manual resume would. Without it this is <see cref="PauseAsync(string, string, CancellationToken)"/>.
    /// </summary>
    public async Task<Job> PauseAsync(string product, string tag, JobPauseRequest? request, CancellationToken ct = default)
    {
        if (request?.Until is null) return await PauseAsync(product, tag, ct);
        var now = _time.GetUtcNow();
        var until = JobValidator.CheckPauseUntil(request.Until, now);
        Job? before = null;
        var job = await _store.ModifyJobAsync(product, tag, j => JobTransitions.Pause(before = j, now, until), ct);
        _engine.Cancel(job.Id);
        await AuditJobAsync(Audit.AuditActions.JobPause, before, job);
        return job;
    }

    /// <summary>The <c>on_failure</c> event must exist in the product (400 naming <c>on_failure</c>).</summary>
    private async Task RequireFailureHookAsync(string product, FailureHook? hook, CancellationToken ct)
    {
        if (hook is not null && !await EventExistsAsync(product, hook.EventType, hook.EventTag, ct))
            throw ValidationFailedException.For("on_failure", $"no {hook.EventType} event '{hook.EventTag}' exists in product '{product}'.");
    }
}
