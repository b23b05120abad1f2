using System.Globalization;
using Metronome.Core;
using Metronome.Core.Jobs;
using Metronome.Core.Runs;
using Metronome.Core.Scheduling;
using Metronome.Core.Storage;
using Metronome.Storage.Postgres.Internal;
using Npgsql;

namespace Metronome.Storage.Postgres;

public sealed partial class PostgresJobStore
{
    /// <inheritdoc />
    public Task<IReadOnlyList<ScheduleEntry>> LoadScheduleAsync(CancellationToken ct) => ReadAsync<IReadOnlyList<ScheduleEntry>>(async c =>
    {
        await using var cmd = c.Command(null, """
            SELECT id, next_due_at FROM jobs
            WHERE status = 'active' AND (executions = 0 OR executions_done < executions)
            ORDER BY next_due_at
            """);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<ScheduleEntry>();
        while (await r.ReadAsync(ct).ConfigureAwait(false)) list.Add(new ScheduleEntry(r.GetInt64(0), r.At(1)));
        return list;
    }, ct);

    /// <inheritdoc />
    public async Task<Job> CreateJobAsync(Job job, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(job);
        try
        {
            return await WriteAsync(async (c, tx) =>
            {
                var created = job with { Id = await JobRows.InsertAsync(c, tx, job, ct).ConfigureAwait(false) };
                await NotifyAsync(c, tx, [ScheduleNotes.Of(created)], ct).ConfigureAwait(false);
                return created;
            }, ct).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.IsUniqueViolation())
        {
            throw new ConflictException($"job '{job.Tag}' already exists in product '{job.Product}'");
        }
    }

    /// <inheritdoc />
    public Task<Job?> GetJobAsync(string product, string tag, CancellationToken ct) => ReadAsync(c => FindJobAsync(c, null, product, tag, ct), ct);

    /// <inheritdoc />
    public Task<PageResult<Job>> ListJobsAsync(JobQuery query, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);
        long after = StorePaging.JobsAfter(query);
        return ReadAsync(async c =>
        {
            var filters = (query.Status is null ? "" : " AND status = @status")
                + (query.Search is null ? "" : " AND (strpos(lower(tag), lower(@search)) > 0 OR strpos(lower(name), lower(@search)) > 0)");
            await using var cmd = c.Command(null, $"SELECT {JobRows.Columns} FROM jobs WHERE product = @product AND id > @after{filters} ORDER BY id LIMIT @take")
                .With("product", query.Product).With("after", after).With("take", (long)StorePaging.Take(query.Limit));
            if (query.Status is not null) cmd.With("status", query.Status.Value.ToWire());
            if (query.Search is not null) cmd.With("search", query.Search);
            var items = await JobRows.ReadAllAsync(cmd, ct).ConfigureAwait(false);
            return StorePaging.Page(items, query.Limit, StorePaging.JobKey);
        }, ct);
    }

    /// <inheritdoc />
    /// <remarks>The row is read <c>FOR UPDATE</c>: no claim on another node interleaves between the read and the write.</remarks>
    public Task<Job> ModifyJobAsync(string product, string tag, Func<Job, Job> change, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(change);
        return WriteAsync(async (c, tx) =>
        {
            var current = await FindJobAsync(c, tx, product, tag, ct, forUpdate: true).ConfigureAwait(false) ?? throw JobNotFound(product, tag);
            var next = change(current) with { Id = current.Id, Product = current.Product, Tag = current.Tag, CreatedAt = current.CreatedAt };
            if (!next.Equals(current))
            {
                await JobRows.UpdateAsync(c, tx, next, ct).ConfigureAwait(false);
                await NotifyAsync(c, tx, [ScheduleNotes.Of(next)], ct).ConfigureAwait(false);
            }
            return next;
        }, ct);
    }

    /// <inheritdoc />
    public Task<long?> DeleteJobAsync(string product, string tag, CancellationToken ct) => WriteAsync(async (c, tx) =>
    {
        await using var cmd = c.Command(tx, "DELETE FROM jobs WHERE product = @product AND tag = @tag RETURNING id")
            .With("product", product).With("tag", tag);
        if (await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is not long id) return (long?)null;
        await NotifyAsync(c, tx, [new ScheduleChange(id, null, Cancelled: true)], ct).ConfigureAwait(false);
        return id;
    }, ct);

    /// <inheritdoc />
    public Task<ClaimedRun> TriggerJobAsync(TriggerParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return WriteAsync(async (c, tx) =>
        {
            var job = await FindJobAsync(c, tx, p.Product, p.Tag, ct, forUpdate: true).ConfigureAwait(false) ?? throw JobNotFound(p.Product, p.Tag);
            var trigger = JobLedger.Trigger(job, p.RunId, p.Node, p.Now);
            var writes = new BatchWrites(_channel);
            writes.InsertRun(trigger.Run, job.Retries.MaxAttempts);
            writes.UpdateJob(trigger.Next);
            await writes.ExecuteAsync(c, tx, ct).ConfigureAwait(false);
            return trigger.Claimed;
        }, ct);
    }

    private static async Task<Job?> FindJobAsync(NpgsqlConnection c, NpgsqlTransaction? tx, string product, string tag, CancellationToken ct, bool forUpdate = false)
    {
        await using var cmd = c.Command(tx, $"SELECT {JobRows.Columns} FROM jobs WHERE product = @product AND tag = @tag{(forUpdate ? " FOR UPDATE" : "")}")
            .With("product", product).With("tag", tag);
        return (await JobRows.ReadAllAsync(cmd, ct).ConfigureAwait(false)) is [var job] ? job : null;
    }

    /// <summary>Announces schedule changes to every node; PostgreSQL delivers them when (and only if) the transaction commits.</summary>
    private async Task NotifyAsync(NpgsqlConnection c, NpgsqlTransaction tx, IReadOnlyList<ScheduleChange> changes, CancellationToken ct)
    {
        if (changes.Count == 0) return;
        await using var batch = new NpgsqlBatch(c, tx) { BatchCommands = { ScheduleNotes.Command(_channel, changes.Select(ScheduleNotes.Format).ToList()) } };
        await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static NotFoundException JobNotFound(string product, string tag) => new($"job '{tag}' not found in product '{product}'");
}
