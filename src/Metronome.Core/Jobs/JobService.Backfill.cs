using System.Globalization;
using System.Text.Json;
using Metronome.Contracts;
using Metronome.Core.Audit;
using Metronome.Core.Storage;

namespace Metronome.Core.Jobs;

public sealed partial class JobService
{
    /// <summary>
    /// Queues the grid slots of the job due in [from, to) (to cut to now) that have no run, to be executed in slot order
    /// (SPEC §6; rules in <see cref="Scheduling.BackfillLedger"/>). Returns how many were queued (0 when every slot already
    /// has a run, e.g. a repeated call). 400 when the range is not an instant range or holds more than
    /// <see cref="Scheduling.BackfillLedger.MaxSlots"/> grid slots; 404 for an unknown job.
    /// </summary>
    public async Task<BackfillResult> BackfillAsync(string product, string tag, JobBackfillRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var e = new ValidationErrors();
        var from = BackfillInstant(request.From, "from", e);
        var to = BackfillInstant(request.To, "to", e);
        e.ThrowIfAny();
        if (from >= to) throw ValidationFailedException.For("from", "from must be before to.");
        var result = await _store.BackfillJobAsync(new BackfillParams(product, tag, from, to, _time.GetUtcNow()), ct);
        if (result.Queued > 0) _engine.BackfillQueued();
        await AuditJobActionAsync(product, tag, AuditActions.JobBackfill, Backfilled(from, to, result.Queued));
        return result;
    }

    /// <summary>What the audit log shows of a backfill: the range asked for and how many slots it queued (none is recorded as 0).</summary>
    private static Dictionary<string, AuditChange> Backfilled(DateTimeOffset from, DateTimeOffset to, int slots) => new(StringComparer.Ordinal)
    {
        ["from"] = new AuditChange(null, JsonSerializer.Serialize(from)),
        ["to"] = new AuditChange(null, JsonSerializer.Serialize(to)),
        ["slots"] = new AuditChange(null, JsonSerializer.Serialize(slots)),
    };

    private static DateTimeOffset BackfillInstant(string? value, string field, ValidationErrors e)
    {
        if (value is null)
            e.Add(field, $"{field} is required.");
        else if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
            return at;
        else
            e.Add(field, $"{field} must be an ISO-8601 instant.");
        return default;
    }
}
