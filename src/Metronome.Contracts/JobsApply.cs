using System.Text.Json;
using System.Text.Json.Serialization;

namespace Metronome.Contracts;

/// <summary>
/// Body of <c>POST /api/products/{product}/jobs:apply</c>: the jobs the product should have, each as <c>POST .../jobs</c>
/// takes it (its <c>tag</c> is the key). Fields a job leaves out take their defaults, except those without one
/// (<c>start_at</c>, <c>end_at</c>…), which apply leaves as the job has them.
/// </summary>
public sealed class JobsApplyRequest
{
    public List<ProductJob?>? Jobs { get; set; }
}

/// <summary>What an apply did (or, with <c>dry_run</c>, would do): tags created, updated (with the fields changed), deleted and left alone.</summary>
public sealed class JobsApplyResult
{
    /// <summary>True when nothing was written: the lists say what an apply would do.</summary>
    public bool DryRun { get; set; }
    public IReadOnlyList<string> Created { get; set; } = [];
    public IReadOnlyList<JobApplyUpdate> Updated { get; set; } = [];
    /// <summary>Jobs not in the file that were deleted (only with <c>prune</c>).</summary>
    public IReadOnlyList<string> Deleted { get; set; } = [];
    public IReadOnlyList<string> Unchanged { get; set; } = [];

    /// <summary>True when the apply created, updated or deleted something.</summary>
    [JsonIgnore]
    public bool HasChanges => Created.Count > 0 || Updated.Count > 0 || Deleted.Count > 0;
}

/// <summary>One job an apply updated: each field that differed, with its value before and after.</summary>
public sealed class JobApplyUpdate
{
    public string Tag { get; set; } = "";
    public IReadOnlyDictionary<string, JobFieldChange> Changes { get; set; } = new Dictionary<string, JobFieldChange>();
}

/// <summary>A field's value before (<c>old</c>, null when unset) and after (<c>new</c>) a change, as JSON.</summary>
public sealed class JobFieldChange
{
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public JsonElement? Old { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public JsonElement? New { get; set; }
}
