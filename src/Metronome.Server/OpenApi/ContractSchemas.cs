using System.Text.Json.Nodes;
using Metronome.Contracts;
using Metronome.Server.Api;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Metronome.Server.OpenApi;

/// <summary>
/// What the wire types in Metronome.Contracts cannot say by their C# shape (every property there is nullable, since one
/// class serves create, read and partial input): which fields a create requires, which the server alone sets
/// (<c>readOnly</c>), which it always sends (not nullable), and which are closed sets (enum schemas). Applied to the
/// generated component schemas once the document is built; a rule naming a property the schema lacks fails the document,
/// so a renamed field cannot leave a stale rule behind.
/// </summary>
internal sealed class ContractSchemas : IOpenApiDocumentTransformer
{
    private static readonly SchemaRule[] Rules =
    [
        new(nameof(ProductJob))
        {
            // exactly one of intervals and cron (SPEC §6), so neither is required on its own
            Required = ["name", "tag", "event_type", "event_tag", "executions"],
            AlwaysSent = ["input", "overlap", "misfire", "retries", "timeout_ms", "status", "executions_done", "created_at", "updated_at",
                "time_zone", "jitter_ms", "catch_up_limit"],
            ReadOnly = ["status", "executions_done", "next_run_at", "last_run_at", "last_run_status", "created_at", "updated_at", "next_runs",
                "consecutive_failures", "paused_until"],
            Enums = { ["event_type"] = WireSchemas.EventType, ["overlap"] = WireSchemas.OverlapPolicy, ["misfire"] = WireSchemas.MisfirePolicy,
                ["status"] = WireSchemas.JobStatus, ["last_run_status"] = WireSchemas.RunStatus },
            JsonObjects = { ["input"] = "JSON object handed to the event (templates read it as {{input.path}}); default {}." },
        },
        new(nameof(SchedulePreview)) { Required = ["next_runs"], ReadOnly = ["next_runs"] },
        new(nameof(ProductJobUpdate))
        {
            Enums = { ["event_type"] = WireSchemas.EventType, ["overlap"] = WireSchemas.OverlapPolicy, ["misfire"] = WireSchemas.MisfirePolicy },
            JsonObjects = { ["input"] = "JSON object handed to the event; replaces the current input." },
        },
        new(nameof(Product))
        {
            Required = ["tag", "name"],
            AlwaysSent = ["created_at", "updated_at"],
            ReadOnly = ["created_at", "updated_at"],
        },
        new(nameof(ProductEvent))
        {
            Required = ["type", "tag", "name", "definition"],
            AlwaysSent = ["created_at", "updated_at"],
            ReadOnly = ["created_at", "updated_at"],
            Enums = { ["type"] = WireSchemas.EventType },
            JsonObjects = { ["definition"] = "The type's definition (docs/events.md); string values may use templates such as {{secrets.NAME}}." },
        },
        new(nameof(ProductEventUpdate))
        {
            JsonObjects = { ["definition"] = "A new definition, replacing the current one." },
        },
        new(nameof(ProductKey)) { Required = ["id", "key"], ReadOnly = ["id", "key"] },
        new(nameof(SecretValue)) { Required = ["value"] },
        new(nameof(JobRun))
        {
            Required = ["id", "job_tag", "slot", "attempt", "scheduled_at", "status"],
            ReadOnly = ["id", "job_tag", "slot", "attempt", "scheduled_at", "started_at", "finished_at", "duration_ms", "node", "status",
                "error", "output", "skipped_count", "attempts", "on_failure"],
            Enums = { ["status"] = WireSchemas.RunStatus },
            AnyJson = { ["output"] = "What the event returned (JSON), truncated to 16 KiB." },
        },
        new(nameof(JobRunAttempt))
        {
            Required = ["attempt", "status"],
            ReadOnly = ["attempt", "started_at", "finished_at", "status", "error"],
            Enums = { ["status"] = WireSchemas.RunStatus },
        },
        new(nameof(RunError)) { Enums = { ["kind"] = WireSchemas.ErrorKind } },
        // failure handling (issue 14)
        new(nameof(JobEventRef)) { Enums = { ["event_type"] = WireSchemas.EventType } },
        new(nameof(RunFailureHook)) { ReadOnly = ["status", "error", "finished_at"], Enums = { ["status"] = WireSchemas.FailureHookStatus } },
        new(nameof(BulkJobsRequest)) { Required = ["items"] },
        new(nameof(BulkJobsResponse)) { Required = ["items"] },
        new(nameof(BulkJobResult)) { Required = ["status"] }, // an item without a valid tag has none
        new(nameof(JobBackfillRequest)) { Required = ["from", "to"] },
        new(nameof(JobBackfillResponse)) { Required = ["slots"] },
        new(nameof(JobsApplyRequest)) { Required = ["jobs"] },
        new(nameof(JobsApplyResult)) { Required = ["dry_run", "created", "updated", "deleted", "unchanged"] },
        new(nameof(JobApplyUpdate)) { Required = ["tag", "changes"] },
        new(nameof(JobFieldChange))
        {
            AnyJson = { ["old"] = "The field's value before (null when it was unset).", ["new"] = "The field's value after." },
        },
    ];

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        WireSchemas.Register(document);
        var schemas = document.Components!.Schemas!;
        foreach (var rule in Rules)
            if (schemas.TryGetValue(rule.Id, out var schema) && schema is OpenApiSchema target) rule.Apply(target, document);
        // Every page of a listing has its items; next_cursor only while more pages follow.
        foreach (var (id, schema) in schemas)
            if (id.StartsWith("PageOf", StringComparison.Ordinal) && schema is OpenApiSchema page) new SchemaRule(id) { Required = ["items"] }.Apply(page, document);
        // JsonElement is never a model of its own: each property using it says what JSON it holds (above).
        schemas.Remove("JsonElement");
        return Task.CompletedTask;
    }

    private sealed class SchemaRule(string id)
    {
        public string Id { get; } = id;
        public string[] Required { get; init; } = [];
        public string[] AlwaysSent { get; init; } = [];
        public string[] ReadOnly { get; init; } = [];
        public Dictionary<string, string> Enums { get; } = [];
        public Dictionary<string, string> JsonObjects { get; } = [];
        public Dictionary<string, string> AnyJson { get; } = [];

        public void Apply(OpenApiSchema schema, OpenApiDocument document)
        {
            var properties = schema.Properties ?? throw new InvalidOperationException($"schema {Id} has no properties");
            IOpenApiSchema Property(string name) => properties.TryGetValue(name, out var p) ? p
                : throw new InvalidOperationException($"schema {Id} has no property '{name}' (a rule in {nameof(ContractSchemas)} is stale)");

            foreach (var (name, description) in JsonObjects)
            {
                Property(name);
                properties[name] = new OpenApiSchema { Type = JsonSchemaType.Object, Description = description };
            }
            foreach (var (name, description) in AnyJson)
            {
                Property(name);
                properties[name] = new OpenApiSchema { Description = description };
            }
            foreach (var name in Required.Concat(AlwaysSent)) properties[name] = NotNullable(Property(name));
            foreach (var (name, enumId) in Enums)
            {
                // The server never writes null (it omits the field), so an enum field is a plain enum. A read-only one stays
                // inline: a $ref cannot carry readOnly beside it in this object model.
                var current = Property(name);
                properties[name] = ReadOnly.Contains(name) ? InlineEnum(enumId, document, current.Description) : WireSchemas.Ref(enumId, document);
            }
            foreach (var name in ReadOnly)
                if (Property(name) is OpenApiSchema p) p.ReadOnly = true;
                else properties[name] = new OpenApiSchema { ReadOnly = true, AllOf = [Property(name)] };
            if (Required.Length > 0)
            {
                schema.Required ??= new HashSet<string>();
                foreach (var name in Required) schema.Required.Add(name);
            }
        }

        private static IOpenApiSchema NotNullable(IOpenApiSchema property)
        {
            switch (property)
            {
                case OpenApiSchema { OneOf: { Count: > 0 } oneOf } when oneOf.Any(IsNull):
                    var rest = oneOf.Where(o => !IsNull(o)).ToList();
                    return rest.Count == 1 ? rest[0] : new OpenApiSchema { OneOf = rest, Description = property.Description };
                case OpenApiSchema { Type: { } type } s when type.HasFlag(JsonSchemaType.Null):
                    s.Type = type & ~JsonSchemaType.Null;
                    return s;
                default:
                    return property;
            }
        }

        private static bool IsNull(IOpenApiSchema s) => s is OpenApiSchema { Type: JsonSchemaType.Null };

        private static OpenApiSchema InlineEnum(string enumId, OpenApiDocument document, string? description)
        {
            var set = (OpenApiSchema)document.Components!.Schemas![enumId];
            return new OpenApiSchema
            {
                Type = JsonSchemaType.String, Description = description ?? set.Description,
                Enum = [.. set.Enum!.Select(v => v.DeepClone())],
            };
        }
    }
}
