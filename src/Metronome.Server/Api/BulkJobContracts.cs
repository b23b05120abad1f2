using Metronome.Contracts;

namespace Metronome.Server.Api;

/// <summary>Body of <c>POST /api/products/{product}/jobs:bulk</c>: up to 1,000 jobs, each as <c>POST .../jobs</c> takes it.</summary>
internal sealed class BulkJobsRequest
{
    public List<ProductJob?>? Items { get; set; }
}

/// <summary>Answer of the bulk create (200): one result per item, in request order.</summary>
internal sealed class BulkJobsResponse
{
    public required List<BulkJobResult> Items { get; init; }
}

/// <summary>
/// One item's result: <c>status</c> is what a single create would have answered (201 with <c>job</c>; 400 with
/// <c>errors</c> naming each invalid field; 409 with <c>detail</c> when the tag is taken, also by an earlier item).
/// </summary>
internal sealed class BulkJobResult
{
    public string? Tag { get; init; }
    public required int Status { get; init; }
    public ProductJob? Job { get; init; }
    public IReadOnlyDictionary<string, string[]>? Errors { get; init; }
    public string? Detail { get; init; }
}
