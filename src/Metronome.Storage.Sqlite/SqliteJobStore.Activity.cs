using Metronome.Core.Jobs;
using Metronome.Core.Runs;
using Metronome.Core.Storage;
using Metronome.Storage.Sqlite.Internal;
using Microsoft.Data.Sqlite;

namespace Metronome.Storage.Sqlite;

public sealed partial class SqliteJobStore
{
    /// <inheritdoc />
    /// <remarks>
    /// Runs are read through runs_by_product from <see cref="ActivityQuery.LowestRunId"/> on; the per-minute percentile is
    /// computed in SQL with window functions (rank ⌈0.99 n⌉ = (99 n + 99) / 100 in integer division), so only a row per
    /// minute leaves the database.
    /// </remarks>
    public Task<ProductActivity> GetProductActivityAsync(ActivityQuery query, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);
        return ReadAsync(c =>
        {
            var jobs = new Dictionary<JobStatus, long>();
            long jobsRunning = 0;
            using (var cmd = c.Command(null, "SELECT status, count(*), sum(in_flight > 0) FROM jobs WHERE product = @product GROUP BY status")
                .With("@product", query.Product))
            using (var r = cmd.ExecuteReader())
            {
                while (r.Read())
                {
                    jobs[JobMapping.ParseStatus(r.GetString(0)) ?? throw new InvalidOperationException($"unknown job status '{r.GetString(0)}'")] = r.GetInt64(1);
                    jobsRunning += r.GetInt64(2);
                }
            }

            var runs = new Dictionary<RunStatus, long>();
            using (var cmd = Window(c, query, """
                SELECT status, count(*) FROM runs
                WHERE product = @product AND id >= @low AND finished_at >= @from AND finished_at < @to GROUP BY status
                """))
            using (var r = cmd.ExecuteReader())
            {
                while (r.Read()) runs[RunStatusNames.FromWire(r.GetString(0)) ?? throw new InvalidOperationException($"unknown run status '{r.GetString(0)}'")] = r.GetInt64(1);
            }

            long running;
            // "+product" keeps runs_by_product out, so the planner counts through the small partial index runs_running
            // (measured on 1M runs: 0.1 ms instead of 190 ms walking every run of the product).
            using (var cmd = c.Command(null, "SELECT count(*) FROM runs WHERE status = 'running' AND node IS NOT NULL AND +product = @product").With("@product", query.Product))
                running = (long)cmd.ExecuteScalar()!;

            using var minutes = Window(c, query, """
                WITH started AS (
                    SELECT (started_at - @from) / 60000 AS m, started_at - scheduled_at AS late FROM runs
                    WHERE product = @product AND id >= @low AND started_at >= @from AND started_at < @to AND status <> 'skipped'),
                ranked AS (
                    SELECT m, late, row_number() OVER (PARTITION BY m ORDER BY late) AS rn, count(*) OVER (PARTITION BY m) AS n FROM started),
                fires AS (SELECT m, n, late AS p99 FROM ranked WHERE rn = (99 * n + 99) / 100),
                failures AS (
                    SELECT (finished_at - @from) / 60000 AS m, count(*) AS n FROM runs
                    WHERE product = @product AND id >= @low AND finished_at >= @from AND finished_at < @to
                        AND status IN ('failed', 'timed_out', 'abandoned')
                    GROUP BY 1),
                each_minute AS (SELECT m FROM fires UNION SELECT m FROM failures)
                SELECT e.m, coalesce(f.n, 0), coalesce(x.n, 0), f.p99
                FROM each_minute e LEFT JOIN fires f ON f.m = e.m LEFT JOIN failures x ON x.m = e.m
                ORDER BY e.m
                """);
            return new ProductActivity(jobs, jobsRunning, runs, running, ReadMinutes(minutes));
        }, ct);
    }

    private static SqliteCommand Window(SqliteConnection c, ActivityQuery query, string sql) => c.Command(null, sql)
        .With("@product", query.Product).With("@low", query.LowestRunId)
        .With("@from", Sql.Ms(query.From)).With("@to", Sql.Ms(query.To));

    private static List<MinuteActivity> ReadMinutes(SqliteCommand cmd)
    {
        using var r = cmd.ExecuteReader();
        var minutes = new List<MinuteActivity>();
        while (r.Read())
            minutes.Add(new MinuteActivity((int)r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.IsDBNull(3) ? null : r.GetInt64(3)));
        return minutes;
    }
}
