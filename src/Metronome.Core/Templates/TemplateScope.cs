using System.Text.Json;
using ExecutionContext = Metronome.Core.Execution.ExecutionContext;

namespace Metronome.Core.Templates;

/// <summary>
/// The values a definition template can see: <c>input</c> (the job input), <c>job</c> (tag, name),
/// <c>run</c> (id, slot, scheduled_at, attempt) and <c>secrets</c> (by name).
/// </summary>
/// <param name="Input">The job input (normally a JSON object).</param>
/// <param name="JobTag">Rendered by <c>{{job.tag}}</c>.</param>
/// <param name="JobName">Rendered by <c>{{job.name}}</c>.</param>
/// <param name="RunId">Rendered by <c>{{run.id}}</c>.</param>
/// <param name="Slot">Rendered by <c>{{run.slot}}</c>.</param>
/// <param name="ScheduledAt">Rendered by <c>{{run.scheduled_at}}</c> as ISO-8601 UTC.</param>
/// <param name="Attempt">Rendered by <c>{{run.attempt}}</c>.</param>
/// <param name="Secrets">Rendered by <c>{{secrets.NAME}}</c> (names are case-sensitive).</param>
public sealed record TemplateScope(
    JsonElement Input,
    string JobTag,
    string JobName,
    string RunId,
    long Slot,
    DateTimeOffset ScheduledAt,
    int Attempt,
    IReadOnlyDictionary<string, string> Secrets)
{
    /// <summary>The failed run of an <c>on_failure</c> hook (<c>{{failed.*}}</c>); null renders those as empty strings.</summary>
    public Execution.FailedRunInfo? Failed { get; init; }

    /// <summary>The scope of one attempt.</summary>
    public static TemplateScope From(ExecutionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new TemplateScope(context.Input, context.JobTag, context.JobName, context.RunId, context.Slot,
            context.ScheduledAt, context.Attempt, context.Secrets) { Failed = context.Failed };
    }
}
