using System.Globalization;
using Metronome.Core;
using Metronome.Core.Jobs;
using Metronome.Core.Runs;
using Metronome.Core.Scheduling;
using Metronome.Core.Storage;
using Metronome.Storage.Sqlite.Internal;
using Microsoft.Data.Sqlite;

namespace Metronome.Storage.Sqlite;

public sealed partial class SqliteJobStore
{
    /// <inheritdoc />
    public Task<IReadOnlyList<ScheduleEntry>> LoadScheduleAsync(CancellationToken ct) => ReadAsync<IReadOnlyList<ScheduleEntry>>(c =>
    {
        using var cmd = c.Command(null, """
            SELECT id, next_due_at FROM jobs
            WHERE status = 'active' AND (executions = 0 OR executions_done < executions)
            ORDER BY next_due_at
            """);
        using var r = cmd.ExecuteReader();
        var list = new List<ScheduleEntry>();
        while (r.Read()) list.Add(new ScheduleEntry(r.GetInt64(0), r.At(1)));
        return list;
    }, ct);

    /// <inheritdoc />
    public async Task<Job> CreateJobAsync(Job job, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(job);
        try
        {
            var id = await WriteAsync((c, tx) => JobRows.Insert(c, tx, job), ct).ConfigureAwait(false);
            return job with { Id = id };
        }
        catch (SqliteException e) when (e.IsConstraintViolation())
        {
            throw new ConflictException($"job '{job.Tag}' already exists in product '{job.Product}'");
        }
    }

    /// <inheritdoc />
    public Task<Job?> GetJobAsync(string product, string tag, CancellationToken ct) => ReadAsync(c => FindJob(c, null, product, tag), ct);

    /// <inheritdoc />
    public Task<PageResult<Job>> ListJobsAsync(JobQuery query, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);
        long after = StorePaging.JobsAfter(query);
        return ReadAsync(c =>
        {
            var filters = (query.Status is null ? "" : " AND status = @status")
                + (query.Search is null ? "" : " AND (instr(lower(tag), lower(@search)) > 0 OR instr(lower(name), lower(@search)) > 0)");
            using var cmd = c.Command(null, $"SELECT {JobRows.Columns} FROM jobs WHERE product = @product AND id > @after{filters} ORDER BY id LIMIT @take")
                .With("@product", query.Product).With("@after", after).With("@search", query.Search)
                .With("@status", query.Status?.ToWire()).With("@take", StorePaging.Take(query.Limit));
            using var r = cmd.ExecuteReader();
            var items = new List<Job>();
            while (r.Read()) items.Add(JobRows.Read(r));
            return StorePaging.Page(items, query.Limit, StorePaging.JobKey);
        }, ct);
    }

    /// <inheritdoc />
    public Task<Job> ModifyJobAsync(string product, string tag, Func<Job, Job> change, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(change);
        return WriteAsync((c, tx) =>
        {
            // Read inside the write transaction: the change sees the freshest row (no claim can interleave).
            var current = FindJob(c, tx, product, tag) ?? throw JobNotFound(product, tag);
            var next = change(current) with { Id = current.Id, Product = current.Product, Tag = current.Tag, CreatedAt = current.CreatedAt };
            if (!next.Equals(current)) JobRows.Update(c, tx, next);
            return next;
        }, ct);
    }

    /// <inheritdoc />
    public Task<long?> DeleteJobAsync(string product, string tag, CancellationToken ct) => WriteAsync((c, tx) =>
    {
        using var cmd = c.Command(tx, "DELETE FROM jobs WHERE product = @product AND tag = @tag RETURNING id")
            .With("@product", product).With("@tag", tag);
        return cmd.ExecuteScalar() is long id ? id : (long?)null;
    }, ct);

    /// <inheritdoc />
    public Task<ClaimedRun> TriggerJobAsync(TriggerParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return WriteAsync((c, tx) =>
        {
            var job = FindJob(c, tx, p.Product, p.Tag) ?? throw JobNotFound(p.Product, p.Tag);
            var trigger = JobLedger.Trigger(job, p.RunId, p.Node, p.Now);
            using (var insert = new RunInserter(c, tx)) insert.Insert(trigger.Run, job.Retries.MaxAttempts);
            using var update = c.Command(tx, "UPDATE jobs SET executions_done = @executions_done, in_flight = @in_flight WHERE id = @id")
                .With("@id", job.Id).With("@executions_done", trigger.Next.ExecutionsDone).With("@in_flight", trigger.Next.InFlight);
            update.ExecuteNonQuery();
            return trigger.Claimed;
        }, ct);
    }

    private static Job? FindJob(SqliteConnection c, SqliteTransaction? tx, string product, string tag)
    {
        using var cmd = c.Command(tx, $"SELECT {JobRows.Columns} FROM jobs WHERE product = @product AND tag = @tag")
            .With("@product", product).With("@tag", tag);
        return JobRows.ReadSingle(cmd);
    }

    private static NotFoundException JobNotFound(string product, string tag) => new($"job '{tag}' not found in product '{product}'");

}
