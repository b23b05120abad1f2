namespace Metronome.Core.Hosting;

/// <summary>
/// Engine and API settings. Every default is documented; the values are checked when the host starts (a bad one stops
/// it with a message naming the setting). The server binds them from the section <c>Metronome</c> (docs/configuration.md).
/// </summary>
public sealed class MetronomeOptions
{
    /// <summary>Name of this node, recorded on every run. Default: machine name + process id.</summary>
    public string NodeName { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary>Smallest <c>intervals</c> accepted for a job, in ms. Default 100; may be lowered to 1.</summary>
    public long MinIntervalMs { get; set; } = 100;

    /// <summary>Attempt timeout for jobs that give no <c>timeout_ms</c>. Default 30 s.</summary>
    public int DefaultTimeoutMs { get; set; } = 30_000;

    /// <summary>Attempts executing at once on this node. Default 512 (executors are asynchronous, so this bounds memory, not threads).</summary>
    public int MaxConcurrency { get; set; } = 512;

    /// <summary>
    /// Attempts of one product executing at once on this node, for products without their own <c>max_concurrency</c>.
    /// Default null: a quarter of <see cref="MaxConcurrency"/> (128 of 512), so one product can never hold the whole node
    /// (at least three others always find room) while a busy but honest product rarely needs more than 128 attempts in
    /// flight. Attempts beyond the cap wait in the product's line (see docs/security/fairness.md). 1 to 10,000.
    /// </summary>
    public int? ProductMaxConcurrency { get; set; }

    /// <summary>How long a node trusts its copy of the products' <c>max_concurrency</c>: a change made on another node of a
    /// cluster is seen within this time (a change made through this node at once). Default 2 s.</summary>
    public TimeSpan ProductLimitsRefresh { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A slot later than this when claimed is a misfire and follows its job's misfire policy. Default 5 s.</summary>
    public TimeSpan MisfireThreshold { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Slots are claimed this much ahead of their due time and fired by the local timer. Default 20 ms.</summary>
    public TimeSpan ClaimLookahead { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Most jobs claimed in one transaction (a claim is also never larger than the node's free room: <see cref="MaxConcurrency"/> minus attempts in flight). Default 1000.</summary>
    public int ClaimBatchSize { get; set; } = 1000;

    /// <summary>Most outcomes written in one transaction. Default 1000.</summary>
    public int CompletionBatchSize { get; set; } = 1000;

    /// <summary>
    /// Attempts claimed but not yet recorded (running, waiting for a concurrency slot, or with an outcome not yet written)
    /// above which the node claims nothing more until the backlog drains. Bounds memory under overload: late slots then
    /// follow their misfire policy instead of piling up. Default 10,000.
    /// </summary>
    public int MaxBacklog { get; set; } = 10_000;

    /// <summary>Runs kept per job. Default 1000.</summary>
    public int RetentionRunsPerJob { get; set; } = 1000;

    /// <summary>Age after which finished runs are deleted. Default 30 days.</summary>
    public TimeSpan RetentionAge { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often the pruner applies retention. Default 10 minutes.</summary>
    public TimeSpan PruneInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The cap of a product without its own <c>max_concurrency</c>.</summary>
    internal int DefaultProductConcurrency => ProductMaxConcurrency ?? Math.Max(1, MaxConcurrency / 4);

    internal Jobs.JobLimits Limits => new() { MinIntervalMs = MinIntervalMs, DefaultTimeoutMs = DefaultTimeoutMs };
}
