using System.Globalization;
using Metronome.Core.Jobs;
using Metronome.Core.Runs;

namespace Metronome.Core.Storage;

/// <summary>
/// The window of <see cref="IJobStore.GetProductActivityAsync"/>: <see cref="Minutes"/> whole minutes from <see cref="From"/>.
/// </summary>
/// <param name="Product">The product.</param>
/// <param name="From">Start of the first minute (a whole minute).</param>
/// <param name="Minutes">Length of the window, in minutes.</param>
public sealed record ActivityQuery(string Product, DateTimeOffset From, int Minutes)
{
    /// <summary>
    /// How long before <see cref="From"/> a run may have been claimed and still count. Stores read a product's runs by id (a
    /// run id begins with its claim's millisecond), from <see cref="LowestRunId"/> on, so that the aggregation reads the runs
    /// of about a day whatever the size of the history (an index on (product, id), whose columns never change, keeps the
    /// hot-path updates of runs cheap). The cost: a run claimed more than a day before the window that starts or ends in it
    /// (attempts lasting over a day in all) is not counted.
    /// </summary>
    public static readonly TimeSpan ClaimLookback = TimeSpan.FromHours(24);

    /// <summary>End of the window (exclusive).</summary>
    public DateTimeOffset To => From.AddMinutes(Minutes);

    /// <summary>The smallest run id a run claimed at <see cref="From"/> − <see cref="ClaimLookback"/> or later can have.</summary>
    public string LowestRunId => (From - ClaimLookback).ToUnixTimeMilliseconds().ToString("x12", CultureInfo.InvariantCulture) + new string('0', 20);
}

/// <summary>
/// What <see cref="IJobStore.GetProductActivityAsync"/> counts for a product: its jobs by status now, the runs that ended in
/// the window by status, those running now, and per minute of the window (only minutes with something in them, in order)
/// the runs started, the failures ended and the 99th percentile of lateness.
/// </summary>
/// <param name="JobsByStatus">Jobs per status (statuses without jobs may be absent).</param>
/// <param name="JobsRunning">Jobs with a run in flight (<see cref="Job.InFlight"/> above zero).</param>
/// <param name="RunsEnded">Runs whose <see cref="Run.FinishedAt"/> falls in the window, per status (one per run record: an
/// aggregated skipped run counts once).</param>
/// <param name="RunsRunning">Runs of the product running now.</param>
/// <param name="Minutes">Minutes of the window with runs started or failures ended.</param>
public sealed record ProductActivity(
    IReadOnlyDictionary<JobStatus, long> JobsByStatus, long JobsRunning,
    IReadOnlyDictionary<RunStatus, long> RunsEnded, long RunsRunning,
    IReadOnlyList<MinuteActivity> Minutes);

/// <summary>One minute of <see cref="ProductActivity"/>.</summary>
/// <param name="Minute">The minute's index in the window (0: the minute at <see cref="ActivityQuery.From"/>).</param>
/// <param name="Fires">Runs whose <see cref="Run.StartedAt"/> falls in the minute, skipped runs aside (a run in flight counts
/// from its claim, its start estimated as its slot's due time until the attempt reports).</param>
/// <param name="Failures">Runs that ended failed, timed_out or abandoned in the minute (by <see cref="Run.FinishedAt"/>).</param>
/// <param name="P99LatenessMs">Of the runs started in the minute, the 99th percentile (nearest rank: the value at rank
/// ⌈0.99 n⌉ in ascending order) of <see cref="Run.StartedAt"/> − <see cref="Run.ScheduledAt"/> in ms; null when none started.</param>
public readonly record struct MinuteActivity(int Minute, long Fires, long Failures, long? P99LatenessMs);
