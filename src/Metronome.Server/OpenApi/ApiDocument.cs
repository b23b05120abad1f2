using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Metronome.Server.OpenApi;

/// <summary>
/// The document as a whole: title and description, the bearer scheme the operations refer to, the problem schemas of
/// the error responses, and operationIds made unique (two handlers of the same name in different modules get the
/// method-and-path form instead, so a later endpoint can never break a generated client).
/// </summary>
internal sealed class ApiDocument : IOpenApiDocumentTransformer
{
    public async Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo
        {
            Title = "Metronome",
            Version = "v1",
            Description = "Interval jobs for products: products, keys, secrets, events, jobs and their runs. "
                + "Every `/api` call needs `Authorization: Bearer <key>` (the admin key or a product key); errors are RFC 9457 "
                + "problem details. Guide: docs/api.md.",
        };
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[OperationConventions.SecuritySchemeId] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "The admin key (METRONOME_ADMIN_KEY, or <data>/admin.key) or a product key (POST /api/products/{product}/keys).",
        };
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        await AddSchemaAsync(document, context, OperationConventions.ProblemSchemaId, typeof(ProblemDetails), cancellationToken);
        await AddSchemaAsync(document, context, OperationConventions.ValidationProblemSchemaId, typeof(HttpValidationProblemDetails), cancellationToken);
        MakeOperationIdsUnique(document);
    }

    private static async Task AddSchemaAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, string id, Type type, CancellationToken ct)
    {
        // Endpoints that declare ProducesProblem have made the component already; either way it is completed here.
        var schemas = document.Components!.Schemas!;
        var schema = schemas.TryGetValue(id, out var existing) && existing is OpenApiSchema made ? made : await context.GetOrCreateSchemaAsync(type, null, ct);
        // As the server writes it: status and title always, the request's trace id, and room for extensions.
        schema.AdditionalPropertiesAllowed = true;
        schema.Properties ??= new Dictionary<string, IOpenApiSchema>();
        foreach (var name in new[] { "status", "title" })
            if (schema.Properties.TryGetValue(name, out var p) && p is OpenApiSchema { Type: { } t } property) property.Type = t & ~JsonSchemaType.Null;
        schema.Properties["trace_id"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "W3C trace id of the request, as logged." };
        if (schema.Properties.TryGetValue("errors", out var errors) && errors is OpenApiSchema errorMap)
            errorMap.Description ??= "Each invalid field (snake_case, dotted for nesting) with its messages.";
        schema.Required = new HashSet<string> { "status", "title" };
        schemas[id] = schema;
    }

    private static void MakeOperationIdsUnique(OpenApiDocument document)
    {
        var operations = (document.Paths ?? [])
            .SelectMany(p => (p.Value.Operations ?? []).Select(o => (Path: p.Key, Method: o.Key.Method, Operation: o.Value)))
            .ToList();
        foreach (var clash in operations.GroupBy(o => o.Operation.OperationId, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
            foreach (var (path, method, operation) in clash)
                operation.OperationId = OperationConventions.OperationIdOf(null, method, path);
    }
}
