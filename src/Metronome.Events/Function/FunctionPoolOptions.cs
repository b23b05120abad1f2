namespace Metronome.Events.Function;

/// <summary>
/// The pool of worker processes that runs JavaScript functions (<c>docs/security/functions.md</c>). The server binds
/// these from the section <c>Metronome:Functions</c> (<c>METRONOME_FUNCTION_*</c> variables); an embedding host configures
/// them with <c>services.Configure&lt;FunctionPoolOptions&gt;(...)</c>. Checked when the host starts.
/// </summary>
public sealed class FunctionPoolOptions
{
    /// <summary>Worker processes, each running one attempt at a time. Default: the processor count, at least 2.</summary>
    public int Workers { get; set; } = Math.Max(2, Environment.ProcessorCount);

    /// <summary>
    /// Attempts of one product that may wait for a worker (default 64). One more ends at once with
    /// <c>limit_exceeded</c>. Waiting products are served round-robin, so one product's backlog delays others by at
    /// most one attempt per worker.
    /// </summary>
    public int QueuePerProduct { get; set; } = 64;

    /// <summary>
    /// The hard heap limit of each worker, MB (default 768: the largest <c>memory_limit_mb</c>, 512, plus the
    /// engine and script cache). A single allocation past it fails at once and the worker is replaced.
    /// </summary>
    public int WorkerHeapLimitMb { get; set; } = 768;

    /// <summary>
    /// A worker is replaced after this many attempts (default 100,000), so nothing it caches lives for ever. Not lower: a
    /// new worker costs about a second of CPU to warm up, and at 1,000 the pool spent a fifth of its time warming up
    /// (measured: 434 against 670 trivial attempts/s on 2 workers). Memory is bounded by the recycle threshold, not this.
    /// </summary>
    public int MaxAttemptsPerWorker { get; set; } = 100_000;

    /// <summary>A worker whose heap stays above this after an attempt (and a full collection) is replaced (default 256 MB).</summary>
    public int WorkerRecycleHeapMb { get; set; } = 256;

    /// <summary>
    /// Source characters of prepared scripts each worker keeps, least recently used out first (default 1 M: hundreds of
    /// ordinary functions; a prepared tree takes up to ~40 times its source in memory).
    /// </summary>
    public long ScriptCacheChars { get; set; } = 1024 * 1024;

    /// <summary>
    /// How long past a function's <c>timeout_ms</c> the server waits for its worker's answer before killing it
    /// (default 1 s; the worker itself stops the function at <c>timeout_ms</c>).
    /// </summary>
    public TimeSpan KillGrace { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary><c>Metronome.FunctionHost.dll</c>; default: next to the application, or next to Metronome.Events.</summary>
    public string? HostAssemblyPath { get; set; }
}
