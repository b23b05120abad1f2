namespace Metronome.Core.Storage;

/// <summary>A backfill of one job (<see cref="IJobStore.BackfillJobAsync"/>).</summary>
/// <param name="Product">The job's product.</param>
/// <param name="Tag">The job.</param>
/// <param name="From">Start of the range (inclusive).</param>
/// <param name="To">End of the range (exclusive; cut to <paramref name="Now"/>).</param>
/// <param name="Now">The deciding clock.</param>
public sealed record BackfillParams(string Product, string Tag, DateTimeOffset From, DateTimeOffset To, DateTimeOffset Now);

/// <summary>What a backfill queued.</summary>
/// <param name="JobId">The job.</param>
/// <param name="Queued">Runs queued: the slots in range that had no run.</param>
/// <param name="InRange">Grid slots in range, with or without a run.</param>
public sealed record BackfillResult(long JobId, int Queued, int InRange);

/// <summary>A node claims queued backfill runs (<see cref="IJobStore.ClaimBackfillRunsAsync"/>).</summary>
/// <param name="Node">The claiming node, recorded on each run.</param>
/// <param name="Now">The deciding clock.</param>
/// <param name="MaxJobs">Most jobs with queued runs looked at in one claim.</param>
public sealed record BackfillClaimParams(string Node, DateTimeOffset Now, int MaxJobs = 64);
