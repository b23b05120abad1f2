using Metronome.Core.Jobs;
using Metronome.Core.Scheduling;
using Metronome.Core.Storage;
using Metronome.Storage.Postgres.Internal;
using Npgsql;
using NpgsqlTypes;

namespace Metronome.Storage.Postgres;

public sealed partial class PostgresJobStore
{
    /// <inheritdoc />
    /// <remarks>
    /// The cluster's claim protocol. Every node holds every job in its due queue; this transaction decides:
    /// <list type="number">
    /// <item>one round trip reads the database clock and the ring of live nodes, and locks the asked jobs that are due
    /// (<c>FOR UPDATE SKIP LOCKED</c>, in id order): a job another node is claiming right now is skipped, not waited for. With
    /// <see cref="PostgresStoreOptions.Partitioning"/>, only the node owning a job's place in the ring claims it on time; any node
    /// claims it once it is overdue by the takeover grace (a dead, stalled or saturated owner), and other nodes are told to look
    /// again then;</item>
    /// <item><see cref="JobLedger.Claim"/> decides per locked job at the horizon (database now + the caller's look-ahead);</item>
    /// <item>one round trip inserts every run (one array INSERT), extends the open skipped runs the claim continues (one array
    /// UPDATE) and advances every job (one array UPDATE).</item>
    /// </list>
    /// Jobs not locked are answered with their fresh due time: not yet due (another node claimed them first), gone, or being
    /// claimed elsewhere, in which case the caller is told to look again just after its horizon. The unique index on
    /// (product, job, slot) is the last line of defence: a duplicate slot is a bug and fails the whole batch.
    /// </remarks>
    public Task<ClaimResult> ClaimDueSlotsAsync(ClaimParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (p.JobIds.Count == 0) return Task.FromResult(new ClaimResult([], []));
        var asked = p.JobIds.Distinct().ToList(); // answered in the order asked, like every store
        var ids = asked.Order().ToArray();

        return WriteAsync(async (c, tx) =>
        {
            DateTimeOffset horizon;
            string[]? ring;
            var due = new Dictionary<long, Job>();
            var partition = _options.Partitioning;
            await using (var batch = new NpgsqlBatch(c, tx))
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand($"SELECT metronome_now_ms(), ({RingSql})")
                    .With("partition", partition is not null, NpgsqlDbType.Boolean)
                    .With("node_timeout", (long)(partition?.NodeTimeout.TotalMilliseconds ?? 0), NpgsqlDbType.Bigint));
                batch.BatchCommands.Add(new NpgsqlBatchCommand($"""
                    WITH ring AS ({RingSql})
                    SELECT {JobRows.Columns} FROM jobs, ring
                    WHERE id = ANY(@ids) AND status = 'active' AND next_due_at <= CASE WHEN @db_clock THEN metronome_now_ms() + @lookahead ELSE @horizon END
                      AND ({OwnsSql("ring.names")} OR next_due_at <= metronome_now_ms() - @grace)
                      AND NOT EXISTS (SELECT 1 FROM nodes WHERE name = @node AND lost_at IS NOT NULL) -- declared dead: claims nothing until it joins again
                    ORDER BY id FOR UPDATE OF jobs SKIP LOCKED
                    """)
                    .With("ids", ids, Sql.Array(NpgsqlDbType.Bigint))
                    .With("db_clock", _options.UseDatabaseClock, NpgsqlDbType.Boolean)
                    .With("lookahead", (long)(p.Horizon - p.Now).TotalMilliseconds, NpgsqlDbType.Bigint)
                    .With("horizon", Sql.Ms(p.Horizon), NpgsqlDbType.Bigint)
                    .With("partition", partition is not null, NpgsqlDbType.Boolean)
                    .With("node_timeout", (long)(partition?.NodeTimeout.TotalMilliseconds ?? 0), NpgsqlDbType.Bigint)
                    .With("node", p.Node, NpgsqlDbType.Text)
                    .With("grace", (long)(partition?.TakeoverGrace.TotalMilliseconds ?? 0), NpgsqlDbType.Bigint));
                await using var r = await batch.ExecuteReaderAsync(ct).ConfigureAwait(false);
                await r.ReadAsync(ct).ConfigureAwait(false);
                var dbNow = Sql.At(r.GetInt64(0));
                ring = r.IsDBNull(1) ? null : r.GetFieldValue<string[]>(1);
                horizon = _options.UseDatabaseClock ? dbNow + (p.Horizon - p.Now) : p.Horizon;
                await r.NextResultAsync(ct).ConfigureAwait(false);
                while (await r.ReadAsync(ct).ConfigureAwait(false))
                {
                    var job = JobRows.Read(r);
                    due[job.Id] = job;
                }
            }

            var writes = new BatchWrites(_channel);
            var runs = new List<ClaimedRun>();
            var schedule = new Dictionary<long, ScheduleEntry>(ids.Length);
            var decided = p with { Now = horizon - (p.Horizon - p.Now), Horizon = horizon }; // the deciding clock
            Func<string> newRunId = _runIds.Next;
            foreach (var id in asked)
            {
                if (!due.TryGetValue(id, out var job)) continue;
                var claim = JobLedger.Claim(id, job, decided, newRunId);
                foreach (var claimed in claim.Runs) writes.InsertRun(claimed.Run, job.Retries.MaxAttempts);
                foreach (var run in claim.Skipped) writes.InsertRun(run, job.Retries.MaxAttempts);
                if (claim.Extended is { } more) writes.ExtendSkipped(more);
                runs.AddRange(claim.Runs);
                if (claim.Next is { } next) writes.UpdateJob(next);
                schedule[id] = claim.Entry;
            }
            await writes.ExecuteAsync(c, tx, ct).ConfigureAwait(false);

            var others = ids.Where(id => !due.ContainsKey(id)).ToArray();
            if (others.Length > 0)
                foreach (var (entry, owned) in await CurrentScheduleAsync(c, tx, others, horizon, ring, p.Node, ct).ConfigureAwait(false))
                    schedule[entry.JobId] = owned || entry.DueAt is not { } at
                        ? entry
                        // Another node's job: look again when it would be overdue enough to take over (not every interval).
                        : entry with { DueAt = (at > horizon ? at : horizon) + partition!.TakeoverGrace };
            return new ClaimResult(runs, asked.ConvertAll(id => schedule[id]));
        }, ct, committed: (result, c, token) => RunsWrittenAsync(c, result.Runs.Select(r => r.Run.Id), p.Node, token));
    }

    /// <summary>
    /// The ring of live nodes (heartbeat within the node timeout, by the database's clock, and not declared dead by the leader:
    /// a node whose presence ended leaves at once), ordered by name; NULL when claims are not partitioned or no node is alive.
    /// </summary>
    private const string RingSql =
        "SELECT array_agg(name ORDER BY name COLLATE \"C\") AS names FROM nodes WHERE @partition AND heartbeat_at >= metronome_now_ms() - @node_timeout" +
        " AND lost_at IS NULL";

    /// <summary>
    /// Whether <c>@node</c> claims the job <c>id</c> on time, given the ring <paramref name="ring"/> (a <c>text[]</c>): no ring, a node
    /// outside it (claims all), or the job's owner. The owner is chosen by rendezvous hashing: the ring name with the lowest
    /// <c>hashtext(name:id)</c>. Every job hashes independently, so each live node owns about 1/n of any set of ids (whatever
    /// their spacing: <c>id % n</c> starved a node whenever ids shared a stride with n), and a node joining or leaving moves
    /// only the jobs it gains or loses. One SQL expression decides, for the lock and for the answer about foreign jobs.
    /// </summary>
    private static string OwnsSql(string ring) =>
        $"({ring} IS NULL OR NOT (@node = ANY({ring})) OR (SELECT n FROM unnest({ring}) AS n ORDER BY hashtext(n || ':' || id::text), n LIMIT 1) = @node)";

    /// <summary>
    /// Due times of jobs the claim did not lock. A job still due by the horizon is being claimed by another node: the caller
    /// looks again just after its horizon, when that claim has committed (rather than spinning on the lock).
    /// </summary>
    private static async Task<List<(ScheduleEntry Entry, bool Owned)>> CurrentScheduleAsync(NpgsqlConnection c, NpgsqlTransaction tx, long[] ids,
        DateTimeOffset horizon, string[]? ring, string node, CancellationToken ct)
    {
        var found = new Dictionary<long, (DateTimeOffset? DueAt, bool Owned)>();
        await using (var cmd = c.Command(tx, $"""
            SELECT id, CASE WHEN status = 'active' AND (executions = 0 OR executions_done < executions) THEN next_due_at END, {OwnsSql("@ring")}
            FROM jobs WHERE id = ANY(@ids)
            """).With("ids", ids, Sql.Array(NpgsqlDbType.Bigint))
            .With("ring", (object?)ring ?? DBNull.Value, Sql.Array(NpgsqlDbType.Text))
            .With("node", node, NpgsqlDbType.Text))
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false)) found[r.GetInt64(0)] = (r.AtOrNull(1), r.GetBoolean(2));
        }
        var entries = new List<(ScheduleEntry, bool)>(ids.Length);
        foreach (var id in ids)
        {
            var (dueAt, owned) = found.GetValueOrDefault(id, (null, true));
            if (dueAt is { } at && at <= horizon) dueAt = horizon + TimeSpan.FromMilliseconds(1);
            entries.Add((new ScheduleEntry(id, dueAt), owned));
        }
        return entries;
    }
}
