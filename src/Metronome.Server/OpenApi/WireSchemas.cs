using System.Reflection;
using System.Text.Json.Nodes;
using Metronome.Contracts;
using Metronome.Core.Execution;
using Microsoft.OpenApi;

namespace Metronome.Server.OpenApi;

/// <summary>
/// The closed sets of the wire (event types, statuses, policies, error kinds) as named enum schemas of the document, so a
/// generated client gets one enum type per set whichever model uses it. Values come from the code that accepts or
/// writes them, never from a copy.
/// </summary>
internal static class WireSchemas
{
    public const string EventType = "EventType";
    public const string JobStatus = "JobStatus";
    public const string RunStatus = "RunStatus";
    public const string OverlapPolicy = "OverlapPolicy";
    public const string MisfirePolicy = "MisfirePolicy";
    public const string ErrorKind = "ErrorKind";
    public const string FailureHookStatus = "FailureHookStatus";

    private static readonly (string Id, string Description, IReadOnlyList<string> Values)[] Enums =
    [
        (EventType, "What a job executes. On input also case-insensitive, and the seed's names (DATABASE_ACTION) are accepted; output is lower case.",
            JobEventTypes.All),
        (JobStatus, "A job's status.", Constants(typeof(JobStatuses))),
        (RunStatus, "A run's status.", Constants(typeof(RunStatuses))),
        (OverlapPolicy, "A slot due while the previous execution still runs: skip it, queue it, or allow both at once.",
            [.. Enum.GetValues<Core.Jobs.OverlapPolicy>().Select(Core.Jobs.WireNames.ToWire)]),
        (MisfirePolicy, "Slots missed while no node ran: one execution now, skip to the next grid slot, or every missed slot in order.",
            [.. Enum.GetValues<Core.Jobs.MisfirePolicy>().Select(Core.Jobs.WireNames.ToWire)]),
        (ErrorKind, "A stable word saying why a run did not succeed.", Constants(typeof(ErrorKinds))),
        (FailureHookStatus, "Where a failed run's on_failure hook stands.", Constants(typeof(Core.Runs.FailureHookStatuses))),
    ];

    /// <summary>Adds every enum schema to the document's components (once).</summary>
    public static void Register(OpenApiDocument document)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        foreach (var (id, description, values) in Enums)
        {
            document.Components.Schemas[id] = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Description = description,
                Enum = [.. values.Distinct().Select(v => (JsonNode)JsonValue.Create(v))],
            };
        }
    }

    public static OpenApiSchemaReference Ref(string id, OpenApiDocument document) => new(id, document);

    private static string[] Constants(Type holder) =>
        [.. holder.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral && f.FieldType == typeof(string)).Select(f => (string)f.GetRawConstantValue()!)];
}
