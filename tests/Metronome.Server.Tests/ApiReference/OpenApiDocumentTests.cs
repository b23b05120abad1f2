using System.Net;
using System.Text.Json.Nodes;
using Metronome.Contracts;
using Metronome.Core.Execution;
using Metronome.Server.Tests.Infrastructure;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace Metronome.Server.Tests.ApiReference;

/// <summary>
/// The served <c>/openapi/v1.json</c>, read with the OpenAPI.NET reader, describes every operation completely: an
/// operationId, the bearer requirement exactly where the server asks for a key (checked by calling each operation
/// without one), problem+json error responses, and typed contract schemas. Every assertion walks all operations, so an
/// endpoint added later is held to the same rules.
/// </summary>
public sealed class OpenApiDocumentTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string ProblemJson = "application/problem+json";
    private TestServer Server => fixture.Server;

    private async Task<OpenApiDocument> LoadAsync()
    {
        var response = await Server.Anonymous.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var stream = await response.Content.ReadAsStreamAsync();
        var result = await OpenApiDocument.LoadAsync(stream, "json", new OpenApiReaderSettings());
        Assert.Empty(result.Diagnostic?.Errors ?? []);
        return result.Document ?? throw new InvalidOperationException("no document");
    }

    private static IEnumerable<(string Path, HttpMethod Method, OpenApiOperation Operation)> Operations(OpenApiDocument document) =>
        document.Paths.SelectMany(p => (p.Value.Operations ?? []).Select(o => (p.Key, o.Key, o.Value)));

    [Fact]
    public async Task Every_operation_has_a_unique_operation_id_a_summary_and_a_tag()
    {
        var operations = Operations(await LoadAsync()).ToList();
        Assert.True(operations.Count >= 25, $"only {operations.Count} operations");
        foreach (var (path, method, op) in operations)
        {
            Assert.False(string.IsNullOrWhiteSpace(op.OperationId), $"{method} {path} has no operationId");
            Assert.Matches("^[a-z][A-Za-z0-9]*$", op.OperationId);
            Assert.False(string.IsNullOrWhiteSpace(op.Summary), $"{method} {path} has no summary");
            Assert.NotEmpty(op.Tags ?? new HashSet<OpenApiTagReference>());
        }
        Assert.Equal(operations.Count, operations.Select(o => o.Operation.OperationId).Distinct(StringComparer.OrdinalIgnoreCase).Count());
        var ids = operations.Select(o => o.Operation.OperationId).ToHashSet();
        foreach (var expected in new[] { "createJob", "listJobs", "getJob", "updateJob", "deleteJob", "triggerJob", "listJobRuns", "getRun", "createProduct" })
            Assert.Contains(expected, ids);
    }

    [Fact]
    public async Task The_bearer_requirement_is_declared_exactly_where_a_call_without_a_key_is_challenged()
    {
        var document = await LoadAsync();
        var scheme = Assert.IsType<OpenApiSecurityScheme>(document.Components!.SecuritySchemes!["bearer"]);
        Assert.Equal(SecuritySchemeType.Http, scheme.Type);
        Assert.Equal("bearer", scheme.Scheme);

        var secured = 0;
        foreach (var (path, method, op) in Operations(document))
        {
            // Route values that name nothing: without a key the call is refused before any handler runs.
            var url = System.Text.RegularExpressions.Regex.Replace(path, "{[^}]+}", "no-such-thing");
            using var request = new HttpRequestMessage(method, url);
            if (op.RequestBody is not null) request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
            using var response = await Server.Anonymous.SendAsync(request);
            var requirement = op.Security?.SelectMany(r => r.Keys).Any(k => k.Reference.Id == "bearer") == true;
            // The key's challenge, not a handler's own 401 (a sign-in call refusing a wrong key is still anonymous).
            var challenged = response.StatusCode == HttpStatusCode.Unauthorized
                && response.Headers.WwwAuthenticate.Any(h => h.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase));
            if (challenged)
            {
                secured++;
                Assert.True(requirement, $"{method} {path} answers 401 without a key but declares no bearer requirement");
                AssertProblem(op, 401, path, method);
            }
            else Assert.False(requirement, $"{method} {path} answers {(int)response.StatusCode} without a key but declares the bearer requirement");
        }
        Assert.True(secured >= 23, $"only {secured} operations need a key");
    }

    [Fact]
    public async Task Every_api_operation_declares_its_errors_as_problem_json()
    {
        var document = await LoadAsync();
        foreach (var (path, method, op) in Operations(document))
        {
            var errors = op.Responses!.Where(r => r.Key.StartsWith('4') || r.Key.StartsWith('5')).ToList();
            foreach (var (status, response) in errors)
                Assert.True(response.Content?.ContainsKey(ProblemJson) == true, $"{method} {path} {status} is not {ProblemJson}");
            if (!path.StartsWith("/api/", StringComparison.Ordinal)) continue;
            Assert.True(errors.Any(e => e.Key.StartsWith('4')), $"{method} {path} declares no 4xx error");
            AssertProblem(op, 503, path, method);
            if (path.Contains('{')) AssertProblem(op, 404, path, method);
            if (op.RequestBody is not null)
            {
                var invalid = AssertProblem(op, 400, path, method);
                Assert.Equal("HttpValidationProblemDetails", Assert.IsType<OpenApiSchemaReference>(invalid).Reference.Id);
                AssertProblem(op, 413, path, method);
                AssertProblem(op, 415, path, method);
            }
        }
        var validation = document.Components!.Schemas!["HttpValidationProblemDetails"];
        var errorsMap = validation.Properties!["errors"];
        Assert.Equal(JsonSchemaType.Array, errorsMap.AdditionalProperties!.Type);
        Assert.Contains("trace_id", validation.Properties.Keys);

        var byId = Operations(document).ToDictionary(o => o.Operation.OperationId!, o => o.Operation);
        foreach (var id in new[] { "createJob", "createProduct", "createEvent", "deleteEvent" }) AssertProblem(byId[id], 409, id, HttpMethod.Post);
        foreach (var id in new[] { "createProduct", "listProducts", "deleteProduct", "createKey" }) AssertProblem(byId[id], 403, id, HttpMethod.Post);
        Assert.False(byId["createJob"].Responses!.ContainsKey("403"));
    }

    [Fact]
    public async Task The_job_schema_says_what_is_required_closed_read_only_and_never_null()
    {
        var document = await LoadAsync();
        var schemas = document.Components!.Schemas!;
        var job = schemas[nameof(ProductJob)];
        Assert.Equal(["event_tag", "event_type", "executions", "intervals", "name", "tag"], job.Required!.Order(StringComparer.Ordinal));
        var p = job.Properties!;

        Assert.Equal(JsonSchemaType.String, p["name"].Type);
        Assert.Equal(JsonSchemaType.Integer, p["intervals"].Type);
        Assert.Equal(JobEventTypes.All, EnumOf(p["event_type"]));
        Assert.Equal(["skip", "queue", "allow"], EnumOf(p["overlap"]));
        Assert.Equal(["fire_once", "skip", "catch_up"], EnumOf(p["misfire"]));
        Assert.Equal([JobStatuses.Active, JobStatuses.Paused, JobStatuses.Completed], EnumOf(p["status"]));
        foreach (var name in new[] { "status", "executions_done", "next_run_at", "last_run_at", "last_run_status", "created_at", "updated_at" })
            Assert.True(p[name].ReadOnly, $"{name} is not readOnly");
        foreach (var name in new[] { "name", "tag", "event_tag", "executions", "intervals", "created_at", "executions_done" })
            Assert.False(p[name].Type!.Value.HasFlag(JsonSchemaType.Null), $"{name} is nullable");
        Assert.False(p["name"].ReadOnly);
        Assert.Equal(JsonSchemaType.Object, p["input"].Type);

        var run = schemas[nameof(JobRun)];
        Assert.Equal(["abandoned", "failed", "running", "skipped", "succeeded", "timed_out"], EnumOf(run.Properties!["status"]).Order(StringComparer.Ordinal));
        Assert.All(run.Properties, kv => Assert.True(kv.Value.ReadOnly, $"run.{kv.Key} is not readOnly"));
        Assert.Contains("id", run.Required!);
        var kinds = EnumOf(schemas[nameof(RunError)].Properties!["kind"]);
        foreach (var kind in new[] { ErrorKinds.HttpStatus, ErrorKinds.Timeout, ErrorKinds.Abandoned, ErrorKinds.Overlap }) Assert.Contains(kind, kinds);
        Assert.Contains("value", schemas[nameof(SecretValue)].Required!);
        Assert.DoesNotContain("JsonElement", schemas.Keys);
    }

    [Fact]
    public async Task Limit_is_an_integer_in_the_document_and_a_bad_value_still_answers_400_naming_it()
    {
        var document = await LoadAsync();
        var limits = Operations(document).SelectMany(o => o.Operation.Parameters ?? []).Where(p => p.Name == "limit").ToList();
        Assert.True(limits.Count >= 2);
        Assert.All(limits, l => Assert.Equal(JsonSchemaType.Integer, l.Schema!.Type));
        var status = Operations(document).Single(o => o.Operation.OperationId == "listJobs").Operation.Parameters!.Single(p => p.Name == "status");
        Assert.Equal([JobStatuses.Active, JobStatuses.Paused, JobStatuses.Completed], EnumOf(status.Schema!));

        var product = await Server.CreateProductAsync();
        var response = await Server.Admin.GetAsync(Routes.Jobs(product.Tag!) + "?limit=abc");
        var body = await response.ExpectAsync(400);
        Assert.Equal(ProblemJson, response.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(JsonNode.Parse(body)!["errors"]!["limit"]);
    }

    [Fact]
    public async Task Audit_keys_and_secret_calls_declare_their_limits_and_errors()
    {
        var byId = Operations(await LoadAsync()).ToDictionary(o => o.Operation.OperationId!, o => o.Operation);
        AssertProblem(byId["deleteSecret"], 409, "deleteSecret", HttpMethod.Delete);
        Assert.Equal(JsonSchemaType.Boolean, byId["deleteSecret"].Parameters!.Single(p => p.Name == "force").Schema!.Type);
        foreach (var id in new[] { "listKeys", "revokeKey" }) AssertProblem(byId[id], 403, id, HttpMethod.Get);
        Assert.False(byId["listAudit"].Responses!.ContainsKey("403"));
        var limit = byId["listAudit"].Parameters!.Single(p => p.Name == "limit").Schema!;
        Assert.Equal(("500", 50), (limit.Maximum, limit.Default!.GetValue<int>()));
        Assert.Equal("1000", byId["listJobs"].Parameters!.Single(p => p.Name == "limit").Schema!.Maximum);
    }

    private static IOpenApiSchema AssertProblem(OpenApiOperation op, int status, string path, HttpMethod method)
    {
        var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(op.Responses!.TryGetValue(key, out var response), $"{method} {path} declares no {status}");
        Assert.True(response.Content!.TryGetValue(ProblemJson, out var media), $"{method} {path} {status} is not {ProblemJson}");
        var reference = Assert.IsType<OpenApiSchemaReference>(media.Schema);
        Assert.Contains(reference.Reference.Id, new[] { "ProblemDetails", "HttpValidationProblemDetails" });
        return reference;
    }

    private static List<string> EnumOf(IOpenApiSchema schema)
    {
        Assert.NotNull(schema.Enum);
        return [.. schema.Enum.Select(v => v!.GetValue<string>())];
    }
}
