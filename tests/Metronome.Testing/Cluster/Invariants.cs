using Npgsql;

namespace Metronome.Testing.Cluster;

/// <summary>
/// What a cluster guarantees whatever happens to its nodes and its database, checked on the shared database and on the
/// target's hits (SPEC §1 "Timing semantics", §3; docs/clustering.md "What is guaranteed"). Written once, used after every
/// chaos scenario and by the cluster tests:
/// <list type="bullet">
/// <item>no (job, slot) is recorded twice (an aggregated skip stands for each slot it covers);</item>
/// <item>a job with <c>executions: N</c> completes with exactly N executed slots (skipped ones do not count) and nothing
/// left running: no execution it owes is lost, none is added;</item>
/// <item>an infinite job keeps firing after the chaos;</item>
/// <item>every create the API acknowledged (201) exists;</item>
/// <item>the target sees each attempt of a slot at most once, and a slot at most once per attempt the run records (a takeover re-runs the slot as the next attempt,
/// with the same idempotency key), never a slot that has no run, and at least once for every succeeded run.</item>
/// </list>
/// </summary>
public sealed class Invariants(ClusterHarness cluster, Action<string>? log = null)
{
    private readonly Action<string> _log = log ?? (_ => { });

    /// <summary>
    /// Every invariant, in an order that lets the cluster finish what it owes first: the infinite jobs fire again, the finite
    /// jobs complete (each wait bounded by <paramref name="patience"/>), then the checks.
    /// </summary>
    public async Task CheckAllAsync(IReadOnlyCollection<string> acknowledgedCreates, TimeSpan patience)
    {
        NodesAlive();
        await InfiniteJobsKeepFiringAsync(patience);
        await WaitFiniteJobsSettledAsync(patience);
        await NoSlotRecordedTwiceAsync();
        await FiniteJobsExecutedExactlyAsync();
        await AcknowledgedCreatesExistAsync(acknowledgedCreates);
        await TargetSawEachAttemptAtMostOnceAsync();
    }

    /// <summary>No node process died on its own (a node the test killed is restarted before the checks).</summary>
    public void NodesAlive()
    {
        foreach (var node in cluster.Nodes)
            Assert.False(node.HasExited, $"{node.Name} exited by itself with {(node.HasExited ? node.ExitCode : 0)}:\n{node.Output}");
    }

    /// <summary>No (job, slot) has two runs; a skipped run with <c>skipped_count</c> covers that many slots from its own.</summary>
    public async Task NoSlotRecordedTwiceAsync()
    {
        var span = await HasColumnAsync("runs", "skipped_count")
            ? "CASE WHEN status = 'skipped' THEN greatest(coalesce(skipped_count, 1), 1) ELSE 1 END"
            : "1";
        var twice = await cluster.RowsAsync($"""
            SELECT job_tag, s, count(*) FROM (SELECT job_id, job_tag, generate_series(slot, slot + {span} - 1) AS s FROM runs WHERE slot > 0) x
            GROUP BY job_id, job_tag, s HAVING count(*) > 1 ORDER BY 1, 2 LIMIT 20
            """);
        Assert.True(twice.Count == 0, "slots recorded twice (job, slot, runs): " + string.Join(", ", twice.Select(r => $"({r[0]}, {r[1]}, {r[2]})")));
        _log($"invariant: no (job, slot) recorded twice ({await cluster.ScalarAsync<long>("SELECT count(*) FROM runs")} runs)");
    }

    /// <summary>Waits until every finite job is completed and none of its runs is still running.</summary>
    public Task WaitFiniteJobsSettledAsync(TimeSpan patience) => ClusterHarness.WaitUntilAsync(async () =>
    {
        try
        {
            return await cluster.ScalarAsync<long>("""
                SELECT (SELECT count(*) FROM jobs WHERE executions > 0 AND status <> 'completed')
                     + (SELECT count(*) FROM runs r JOIN jobs j ON j.id = r.job_id WHERE j.executions > 0 AND r.status = 'running')
                """) == 0;
        }
        catch (NpgsqlException)
        {
            return false;
        }
    }, patience, () => "finite jobs not settled: " + string.Join(", ", cluster.RowsAsync("""
            SELECT j.tag, j.status, j.executions_done, j.executions, j.in_flight,
                   (SELECT string_agg(r.slot || '/' || r.attempt || '@' || coalesce(r.node, '?'), ' ') FROM runs r WHERE r.job_id = j.id AND r.status = 'running')
            FROM jobs j WHERE j.executions > 0 AND (j.status <> 'completed' OR j.in_flight > 0) ORDER BY j.tag LIMIT 20
            """).GetAwaiter().GetResult().Select(r => $"{r[0]} {r[1]} {r[2]}/{r[3]} in flight {r[4]} running [{r[5]}]")) + "\n" + cluster.NodeOutputs());

    /// <summary>
    /// Every job with <c>executions: N</c> is completed with <c>executions_done</c> = N, exactly N executed runs (every status
    /// but <c>skipped</c>: retries and takeovers of a slot are one run) and none running.
    /// </summary>
    /// <param name="expectedJobs">When given, how many finite jobs there must be (so that the check cannot pass on nothing).</param>
    public async Task FiniteJobsExecutedExactlyAsync(int? expectedJobs = null)
    {
        var jobs = await cluster.RowsAsync("""
            SELECT j.tag, j.status, j.executions, j.executions_done,
                   count(r.id) FILTER (WHERE r.status <> 'skipped'), count(r.id) FILTER (WHERE r.status = 'running')
            FROM jobs j LEFT JOIN runs r ON r.job_id = j.id WHERE j.executions > 0 GROUP BY j.id ORDER BY j.tag
            """);
        if (expectedJobs is { } expected) Assert.Equal(expected, jobs.Count);
        Assert.NotEmpty(jobs);
        var wrong = jobs.Where(r => (string)r[1] != "completed" || (long)r[3] != (long)r[2] || (long)r[4] != (long)r[2] || (long)r[5] != 0).ToList();
        Assert.True(wrong.Count == 0, "finite jobs not executed exactly (tag status executions executions_done executed running): "
            + string.Join("; ", wrong.Select(r => string.Join(' ', r))));
        _log($"invariant: {jobs.Count} finite jobs executed exactly ({jobs.Sum(r => (long)r[2])} executions)");
    }

    /// <summary>Every active infinite job records a new succeeded execution after now (bounded by <paramref name="patience"/>).</summary>
    public async Task InfiniteJobsKeepFiringAsync(TimeSpan patience)
    {
        var since = await cluster.ScalarAsync<long>("SELECT metronome_now_ms()");
        var infinite = await cluster.ScalarAsync<long>("SELECT count(*) FROM jobs WHERE executions = 0 AND status = 'active'");
        Assert.True(infinite > 0, "no infinite job to check");
        var silent = $"""
            SELECT j.tag FROM jobs j WHERE j.executions = 0 AND j.status = 'active' AND NOT EXISTS
              (SELECT 1 FROM runs r WHERE r.job_id = j.id AND r.slot > 0 AND r.status = 'succeeded' AND r.started_at >= {since})
            ORDER BY j.tag
            """;
        await ClusterHarness.WaitUntilAsync(async () => (await cluster.RowsAsync(silent)).Count == 0, patience,
            () => "infinite jobs that did not fire again: " + string.Join(", ", cluster.RowsAsync(silent).GetAwaiter().GetResult().Select(r => r[0])) + "\n" + cluster.NodeOutputs());
        _log($"invariant: {infinite} infinite jobs keep firing");
    }

    /// <summary>Every job whose create was answered 201 exists.</summary>
    public async Task AcknowledgedCreatesExistAsync(IReadOnlyCollection<string> tags)
    {
        var existing = (await cluster.RowsAsync($"SELECT tag FROM jobs WHERE product = '{ClusterHarness.Product}'")).Select(r => (string)r[0]).ToHashSet();
        var missing = tags.Where(t => !existing.Contains(t)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} of {tags.Count} acknowledged creates are missing: {string.Join(", ", missing.Take(20))}");
        _log($"invariant: {tags.Count} acknowledged creates exist");
    }

    /// <summary>
    /// At the target, per idempotency key (<c>product/job/slot</c>) of an HTTP job: no attempt sent twice (when the event's body
    /// names <c>{{run.attempt}}</c>), no more requests than the attempts its run records, no request for a slot with no run,
    /// and at least one for a succeeded run. Counts are read before the runs for
    /// the upper bound (attempts only grow) and after them for the lower one (requests only grow).
    /// </summary>
    public async Task TargetSawEachAttemptAtMostOnceAsync()
    {
        var before = cluster.Target.CountsNow();
        var runs = (await cluster.RowsAsync("""
            SELECT r.product || '/' || r.job_tag || '/' || r.slot, r.attempt, r.status, coalesce(r.node, '?') FROM runs r JOIN jobs j ON j.id = r.job_id
            WHERE r.slot > 0 AND r.status <> 'skipped' AND j.event_type = 'action'
            """)).ToDictionary(r => (string)r[0], r => (Attempt: (int)r[1], Status: (string)r[2], Node: (string)r[3]));
        var after = cluster.Target.CountsNow();

        var hits = cluster.Target.Hits;
        string Attempts(string key) => string.Join(",", hits.Where(h => h.Key == key).Select(h => h.Attempt?.ToString() ?? "?"));
        var repeated = hits.Where(h => h.Attempt is not null).GroupBy(h => (h.Key, h.Attempt)).Where(g => g.Count() > 1).Select(g => g.Key.Key).Distinct().ToList();
        Assert.True(repeated.Count == 0, "slots whose same attempt reached the target twice: "
            + string.Join(", ", repeated.Take(20).Select(k => $"{k} attempts [{Attempts(k)}]" + (runs.TryGetValue(k, out var r) ? $" ({r.Status} attempt {r.Attempt} on {r.Node})" : ""))));
        var unrecorded = before.Keys.Where(k => !runs.ContainsKey(k)).ToList();
        Assert.True(unrecorded.Count == 0, $"the target saw {unrecorded.Count} slots that have no run: {string.Join(", ", unrecorded.Take(20))}");
        var over = before.Where(h => h.Value > runs[h.Key].Attempt).ToList();
        Assert.True(over.Count == 0, "slots seen more often than their attempts: " + string.Join(", ", over.Take(20).Select(h => $"{h.Key} {h.Value}× for attempt {runs[h.Key].Attempt} ({runs[h.Key].Status} on {runs[h.Key].Node}; attempts sent [{Attempts(h.Key)}])")));
        var unseen = runs.Where(r => r.Value.Status == "succeeded" && !after.ContainsKey(r.Key)).Select(r => r.Key).ToList();
        Assert.True(unseen.Count == 0, $"{unseen.Count} succeeded runs never reached the target: {string.Join(", ", unseen.Take(20))}");
        _log($"invariant: the target saw {before.Count} slots at most once per attempt; seen n times: "
            + string.Join(", ", before.GroupBy(h => h.Value).OrderBy(g => g.Key).Select(g => $"{g.Key}×={g.Count()}")));
    }

    private async Task<bool> HasColumnAsync(string table, string column) =>
        await cluster.ScalarAsync<long>($"SELECT count(*) FROM information_schema.columns WHERE table_name = '{table}' AND column_name = '{column}'") > 0;
}
