using System.Reflection;
using System.Text;
using Metronome.Server.Api;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Metronome.Server.OpenApi;

/// <summary>
/// What every operation of the document gets from its endpoint's metadata, so that an endpoint added later is described
/// the same way without a list to keep up to date:
/// <list type="bullet">
/// <item>an <c>operationId</c>: the endpoint's name (<c>WithName</c>), else its handler's name without <c>Async</c>
/// (<c>CreateJobAsync</c> → <c>createJob</c>), else the method and path; and a summary when it has none;</item>
/// <item>the bearer requirement where authorization is required (none where the endpoint allows anonymous callers);</item>
/// <item>problem responses (<c>application/problem+json</c>) for what the pipeline answers: 400 with <c>errors</c> where a
/// body or query is read, 401 where a key is required, 403 for admin-only calls, 404 where the route names a resource,
/// 413/415 where a body is read, 503 for every call that reaches the store. 409 is declared by the endpoints that answer
/// it (<c>ProducesProblem(409)</c>).</item>
/// </list>
/// </summary>
internal sealed class OperationConventions : IOpenApiOperationTransformer
{
    public const string SecuritySchemeId = "bearer";
    public const string ProblemSchemaId = "ProblemDetails";
    public const string ValidationProblemSchemaId = "HttpValidationProblemDetails";
    public const string ProblemContentType = "application/problem+json";

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var description = context.Description;
        var metadata = description.ActionDescriptor.EndpointMetadata;
        var document = context.Document ?? throw new InvalidOperationException("the operation has no document");
        var path = "/" + (description.RelativePath ?? "").TrimStart('/');

        operation.OperationId ??= OperationIdOf(metadata.OfType<MethodInfo>().FirstOrDefault(), description.HttpMethod ?? "GET", path);
        operation.Summary ??= SummaryOf(operation.OperationId);

        var authorize = metadata.OfType<IAuthorizeData>().ToList();
        var needsKey = authorize.Count > 0 && !metadata.OfType<IAllowAnonymous>().Any();
        var hasBody = operation.RequestBody is not null;
        var readsInput = hasBody || description.ParameterDescriptions.Any(p => p.Source == BindingSource.Query);
        var isApi = path.StartsWith("/api/", StringComparison.Ordinal);

        if (needsKey)
        {
            operation.Security ??= [];
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SecuritySchemeId, document)] = [] });
        }
        if (readsInput) AddProblem(operation, document, 400, "The body or a query value is invalid: `errors` names each field.", ValidationProblemSchemaId);
        if (needsKey) AddProblem(operation, document, 401, "No key, an unknown key or another scheme than Bearer.");
        if (authorize.Any(a => a.Policy == ApiAuthorization.AdminPolicy || !string.IsNullOrEmpty(a.Roles)))
            AddProblem(operation, document, 403, "This call needs the admin key.");
        if (path.Contains('{')) AddProblem(operation, document, 404, "The resource does not exist, or belongs to a product the key cannot reach.");
        if (hasBody)
        {
            AddProblem(operation, document, 413, "The body is larger than 1 MiB.");
            AddProblem(operation, document, 415, "The body is not declared JSON (application/json or a +json type, UTF-8).");
        }
        if (operation.Responses?.ContainsKey("409") == true)
            AddProblem(operation, document, 409, "Conflicts with what exists: the tag is taken, or the event is still used by jobs.");
        if (isApi) AddProblem(operation, document, 503, "The store cannot be reached at the moment: retry after `Retry-After` seconds.");
        return Task.CompletedTask;
    }

    private static void AddProblem(OpenApiOperation operation, OpenApiDocument document, int status, string description, string schemaId = ProblemSchemaId)
    {
        operation.Responses ??= [];
        var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (operation.Responses.TryGetValue(key, out var existing) && existing is OpenApiResponse declared)
        {
            // Declared by the endpoint (ProducesProblem): keep its schema, but say when it is answered.
            if (string.IsNullOrEmpty(declared.Description) || declared.Description == ReasonPhrase(status)) declared.Description = description;
            return;
        }
        operation.Responses[key] = new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                [ProblemContentType] = new() { Schema = new OpenApiSchemaReference(schemaId, document) },
            },
        };
    }

    private static string ReasonPhrase(int status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);

    /// <summary>The handler's name (<c>ListJobRunsAsync</c> → <c>listJobRuns</c>); for a lambda, the method and path.</summary>
    internal static string OperationIdOf(MethodInfo? handler, string method, string path)
    {
        if (handler is not null && !handler.Name.Contains('<', StringComparison.Ordinal))
        {
            var name = handler.Name.EndsWith("Async", StringComparison.Ordinal) ? handler.Name[..^5] : handler.Name;
            return char.ToLowerInvariant(name[0]) + name[1..];
        }
        var id = new StringBuilder(method.ToLowerInvariant());
        foreach (var segment in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var word = segment.StartsWith('{') ? "By" + segment.Trim('{', '}') : segment;
            foreach (var part in word.Split(['-', '_', '.', ':'], StringSplitOptions.RemoveEmptyEntries))
                id.Append(char.ToUpperInvariant(part[0])).Append(part[1..]);
        }
        return id.ToString();
    }

    /// <summary><c>listJobRuns</c> → "List job runs".</summary>
    internal static string SummaryOf(string operationId)
    {
        var words = new StringBuilder();
        foreach (var c in operationId)
        {
            if (char.IsUpper(c) && words.Length > 0) words.Append(' ');
            words.Append(words.Length == 0 ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c));
        }
        return words.ToString();
    }
}
