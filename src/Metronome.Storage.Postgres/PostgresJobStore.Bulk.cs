using Metronome.Core.Jobs;
using Metronome.Core.Storage;
using Metronome.Storage.Postgres.Internal;
using Npgsql;
using NpgsqlTypes;

namespace Metronome.Storage.Postgres;

public sealed partial class PostgresJobStore
{
    private const int CreateJobsAttempts = 5;

    /// <inheritdoc />
    /// <remarks>
    /// A failed statement aborts a whole PostgreSQL transaction, so taken tags are looked up first (one query) and skipped.
    /// A tag taken by a concurrent transaction between that check and the insert fails the attempt; the next attempt's
    /// check sees it. Every created job is announced (NOTIFY) as <see cref="CreateJobAsync"/> does.
    /// </remarks>
    public async Task<IReadOnlyList<JobCreateResult>> CreateJobsAsync(IReadOnlyList<Job> jobs, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        if (jobs.Count == 0) return [];
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await WriteAsync<IReadOnlyList<JobCreateResult>>(async (c, tx) =>
                {
                    var taken = await TakenTagsAsync(c, tx, jobs, ct).ConfigureAwait(false);
                    var results = new JobCreateResult[jobs.Count];
                    var notes = new List<ScheduleChange>(jobs.Count);
                    for (int i = 0; i < jobs.Count; i++)
                    {
                        var job = jobs[i];
                        // Adding to the taken set also catches a tag repeated inside this list.
                        if (!taken.Add((job.Product, job.Tag)))
                        {
                            results[i] = JobCreateResult.TagTaken(job);
                            continue;
                        }
                        var created = job with { Id = await JobRows.InsertAsync(c, tx, job, ct).ConfigureAwait(false) };
                        results[i] = JobCreateResult.Of(created);
                        notes.Add(ScheduleNotes.Of(created));
                    }
                    await NotifyAsync(c, tx, notes, ct).ConfigureAwait(false);
                    return results;
                }, ct).ConfigureAwait(false);
            }
            catch (PostgresException e) when (e.IsUniqueViolation() && attempt < CreateJobsAttempts)
            {
                // Lost a race for a tag: retry; the check now sees the committed row.
            }
        }
    }

    private static async Task<HashSet<(string Product, string Tag)>> TakenTagsAsync(NpgsqlConnection c, NpgsqlTransaction tx, IReadOnlyList<Job> jobs, CancellationToken ct)
    {
        await using var cmd = c.Command(tx, "SELECT j.product, j.tag FROM jobs j JOIN unnest(@products, @tags) AS k(product, tag) ON j.product = k.product AND j.tag = k.tag")
            .With("products", jobs.Select(j => j.Product).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text)
            .With("tags", jobs.Select(j => j.Tag).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var taken = new HashSet<(string, string)>();
        while (await r.ReadAsync(ct).ConfigureAwait(false)) taken.Add((r.GetString(0), r.GetString(1)));
        return taken;
    }
}
