using Metronome.Contracts;
using Metronome.Core.Scheduling;
using Metronome.Core.Storage;

namespace Metronome.Core.Jobs;

public sealed partial class JobService
{
    /// <summary>
    /// Creates up to <see cref="MaxBulkItems"/> jobs of one product in one store transaction. Each item succeeds or fails
    /// on its own (invalid, or its tag taken — also by an earlier item of the same call); outcomes are in request order.
    /// Throws <see cref="NotFoundException"/> (no such product) or <see cref="ValidationFailedException"/> (no items, too many).
    /// </summary>
    public async Task<IReadOnlyList<JobCreateOutcome>> CreateManyAsync(string product, IReadOnlyList<ProductJob?>? requests, CancellationToken ct = default)
    {
        if (requests is null || requests.Count == 0) throw ValidationFailedException.For("items", "items must hold at least one job.");
        if (requests.Count > MaxBulkItems) throw ValidationFailedException.For("items", $"items must hold at most {MaxBulkItems} jobs.");
        await RequireProductAsync(product, ct);

        var now = _time.GetUtcNow();
        var outcomes = new JobCreateOutcome[requests.Count];
        var valid = new List<(int Index, Job Job)>(requests.Count);
        for (int i = 0; i < requests.Count; i++)
        {
            var request = requests[i];
            try
            {
                if (request is null) throw ValidationFailedException.For("body", "each item must be a JSON object.");
                var spec = JobValidator.ValidateCreate(request, _options.Limits, now);
                await RequireEventAsync(product, spec.EventType, spec.EventTag, ct);
                valid.Add((i, JobTransitions.Create(product, spec, now)));
            }
            catch (ValidationFailedException e)
            {
                outcomes[i] = new JobCreateOutcome(request?.Tag, null, e, null);
            }
        }

        if (valid.Count > 0)
        {
            var results = await _store.CreateJobsAsync(valid.ConvertAll(v => v.Job), ct);
            var audited = new List<(string, IReadOnlyDictionary<string, Audit.AuditChange>)>(valid.Count);
            for (int k = 0; k < valid.Count; k++)
            {
                var (index, job) = valid[k];
                if (results[k].Created is { } created)
                {
                    _engine.Reschedule(new ScheduleEntry(created.Id, created.ScheduledDueAt));
                    outcomes[index] = new JobCreateOutcome(created.Tag, created, null, null);
                    audited.Add((created.Tag, Audit.AuditDiff.Job(null, created)));
                }
                else
                {
                    outcomes[index] = new JobCreateOutcome(job.Tag, null, null, results[k].Conflict ?? JobCreateResult.TagTaken(job).Conflict);
                }
            }
            // One audit write for the call's creates (group-committed), not one after another.
            await _audit.RecordManyAsync(product, Audit.AuditActions.JobCreate, audited);
        }
        return outcomes;
    }
}

/// <summary>
/// One item of <see cref="JobService.CreateManyAsync"/>: exactly one of <see cref="Created"/>, <see cref="Invalid"/> (its
/// fields, as a 400 would name them) and <see cref="Conflict"/> (its tag is taken) is set.
/// </summary>
/// <param name="Tag">The item's tag as sent (null when it had none).</param>
public sealed record JobCreateOutcome(string? Tag, Job? Created, ValidationFailedException? Invalid, ConflictException? Conflict);
