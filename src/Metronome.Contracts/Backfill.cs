namespace Metronome.Contracts;

/// <summary>
/// The body of <c>POST /api/products/{product}/jobs/{tag}/backfill</c>: the range of due instants, [from, to), whose grid slots
/// without a run are executed; <c>to</c> in the future is cut to now.
/// </summary>
public sealed class JobBackfillRequest
{
    /// <summary>ISO-8601 instant, inclusive.</summary>
    public string? From { get; set; }

    /// <summary>ISO-8601 instant, exclusive.</summary>
    public string? To { get; set; }
}

/// <summary>The answer of a backfill (202): how many slots were queued to run.</summary>
public sealed class JobBackfillResponse
{
    /// <summary>Slots of the range that had no run and are now queued, executed in slot order.</summary>
    public long Slots { get; set; }
}
