using Metronome.Core.Jobs;
using Metronome.Core.Storage;
using Metronome.Storage.Sqlite.Internal;
using Microsoft.Data.Sqlite;

namespace Metronome.Storage.Sqlite;

public sealed partial class SqliteJobStore
{
    /// <inheritdoc />
    /// <remarks>
    /// One <c>BEGIN IMMEDIATE</c> transaction, so one fsync for the whole list. A taken tag fails only its own INSERT:
    /// SQLite's default conflict resolution (ABORT) backs out that statement and keeps the transaction and the rows
    /// inserted before it.
    /// </remarks>
    public Task<IReadOnlyList<JobCreateResult>> CreateJobsAsync(IReadOnlyList<Job> jobs, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        if (jobs.Count == 0) return Task.FromResult<IReadOnlyList<JobCreateResult>>([]);
        return WriteAsync<IReadOnlyList<JobCreateResult>>((c, tx) =>
        {
            var results = new JobCreateResult[jobs.Count];
            for (int i = 0; i < jobs.Count; i++)
            {
                var job = jobs[i];
                try
                {
                    results[i] = JobCreateResult.Of(job with { Id = JobRows.Insert(c, tx, job) });
                }
                catch (SqliteException e) when (e.IsConstraintViolation())
                {
                    results[i] = JobCreateResult.TagTaken(job);
                }
            }
            return results;
        }, ct);
    }
}
