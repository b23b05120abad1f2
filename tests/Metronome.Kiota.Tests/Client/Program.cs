// The program the Kiota test builds against the client Kiota generated from the served OpenAPI document (it is not
// compiled into the test assembly). That it compiles is half the test: fields are used with the types the document
// declares (enums for closed sets, integers, typed problem exceptions), which a document of nullable strings could not give.
// Each line it prints is one observation the test asserts.
using Metronome.Generated;
using Metronome.Generated.Models;
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Http.HttpClientLibrary;

var (baseUrl, key, product, eventTag) = (args[0], args[1], args[2], args[3]);
using var adapter = new HttpClientRequestAdapter(new BaseBearerTokenAuthenticationProvider(new StaticKey(key))) { BaseUrl = baseUrl.TrimEnd('/') };
var client = new MetronomeClient(adapter);
var jobs = client.Api.Products[product].Jobs;

var created = await jobs.PostAsync(new ProductJob
{
    Name = "Nightly export", Tag = "kiota-job", EventType = EventType.Action, EventTag = eventTag,
    Executions = 0, Intervals = 3_600_000, Misfire = MisfirePolicy.Skip, Retries = new RetryOptions { MaxAttempts = 3 },
}) ?? throw new InvalidOperationException("create answered no job");
EventType type = created.EventType!.Value;
ProductJob_status status = created.Status!.Value;
long intervals = created.Intervals!.Value;
long executionsDone = created.ExecutionsDone!.Value;
DateTimeOffset createdAt = created.CreatedAt!.Value;
Console.WriteLine($"created {created.Tag} {type} {status} {intervals} {executionsDone} {created.Overlap} {created.Misfire} {created.Retries?.MaxAttempts} {createdAt:O}");

var page = await jobs.GetAsync(r => { r.QueryParameters.Limit = 10; r.QueryParameters.Status = JobStatus.Active; })
    ?? throw new InvalidOperationException("list answered no page");
Console.WriteLine($"listed {page.Items!.Count} {string.Join(",", page.Items.Select(j => $"{j.Tag}:{j.EventType}:{j.Intervals}"))}");

try
{
    await jobs.PostAsync(new ProductJob { Name = "Too fast", Tag = "too-fast", EventType = EventType.Action, EventTag = eventTag, Executions = -1, Intervals = 0 });
    Console.WriteLine("invalid accepted");
}
catch (HttpValidationProblemDetails e)
{
    Console.WriteLine($"invalid {e.ResponseStatusCode} {e.Status} {string.Join(",", e.Errors!.AdditionalData.Keys.Order())}");
}

try
{
    await jobs.PostAsync(new ProductJob { Name = "Again", Tag = "kiota-job", EventType = EventType.Action, EventTag = eventTag, Executions = 1, Intervals = 1000 });
    Console.WriteLine("duplicate accepted");
}
catch (ProblemDetails e)
{
    Console.WriteLine($"conflict {e.ResponseStatusCode} {e.Title}");
}

try
{
    await jobs["no-such-job"].GetAsync();
    Console.WriteLine("missing found");
}
catch (ProblemDetails e)
{
    Console.WriteLine($"missing {e.ResponseStatusCode} {e.Title} {(string.IsNullOrEmpty(e.TraceId) ? "no-trace" : "trace")}");
}

internal sealed class StaticKey(string key) : IAccessTokenProvider
{
    public AllowedHostsValidator AllowedHostsValidator { get; } = new();

    public Task<string> GetAuthorizationTokenAsync(Uri uri, Dictionary<string, object>? additionalAuthenticationContext = null,
        CancellationToken cancellationToken = default) => Task.FromResult(key);
}
