using Metronome.Core.Catalog;
using Metronome.Core.Jobs;
using Metronome.Core.Runs;
using Metronome.Core.Storage;

namespace Metronome.Storage.Conformance;

/// <summary>The dashboard's reads: job search, runs across jobs by a list of statuses, one slot's runs, and the activity aggregates.</summary>
public abstract partial class JobStoreConformanceTests
{
    [Fact]
    public async Task Activity_counts_jobs_runs_and_each_minutes_fires_failures_and_p99_lateness()
    {
        var a = await CreateAsync(NewJob("a", intervalMs: 1000));
        var b = await CreateAsync(NewJob("b", intervalMs: 500));
        await CreateAsync(NewJob("c") with { Status = JobStatus.Paused });
        await CreateAsync(NewJob("d") with { Status = JobStatus.Completed });
        var claimedA = (await Jobs.ClaimDueSlotsAsync(new ClaimParams(Node, At(6), At(6), [a.Id], Threshold, 200), default)).Runs;
        var claimedB = (await Jobs.ClaimDueSlotsAsync(new ClaimParams(Node, At(50), At(50), [b.Id], Threshold, 200), default)).Runs;
        Assert.Equal(6, claimedA.Count);
        Assert.Equal(100, claimedB.Count);

        // Another product's run in the window counts nowhere.
        await Catalog.CreateProductAsync(new ProductRecord { Tag = "other", Name = "Other", CreatedAt = Start, UpdatedAt = Start }, default);
        await Catalog.CreateEventAsync(NewEvent("action", "ping", "other"), default);
        var o = await CreateAsync(NewJob("o", product: "other"));
        var claimedO = (await ClaimAsync(At(1), o.Id)).Runs;

        var slot = claimedA.ToDictionary(r => r.Run.Slot);
        var completions = new List<RunCompletion>
        {
            Ended(slot[1], RunStatus.Succeeded, At(1.1), At(2)),     // minute 0: fire late 100
            Ended(slot[2], RunStatus.Failed, At(2.5), At(3)),        // minute 0: fire late 500, failure
            Ended(slot[3], RunStatus.TimedOut, At(63), At(64)),      // minute 1: fire late 60 000, failure
            Ended(slot[4], RunStatus.Abandoned, At(4.2), At(125)),   // minute 0: fire late 200; minute 2: failure
            // slot 5 stays running: minute 0, a fire of lateness 0 (started_at is its due time until it reports)
            Ended(slot[6], RunStatus.Succeeded, At(200), At(201)),   // after the window
            Ended(claimedO[0], RunStatus.Failed, At(1.5), At(1.6)),
        };
        // Job b's 100 runs start in minute 2 at 120 s + i ms, slot i due at 0.5 i s: lateness 120 000 − 499 i.
        foreach (var run in claimedB)
        {
            var started = At(120) + TimeSpan.FromMilliseconds(run.Run.Slot);
            completions.Add(Ended(run, RunStatus.Succeeded, started, started + TimeSpan.FromMilliseconds(10)));
        }
        await Jobs.CompleteRunsAsync(completions, default);

        var activity = await Jobs.GetProductActivityAsync(new ActivityQuery(Product, Start, 3), default);

        Assert.Equal(2, activity.JobsByStatus[JobStatus.Active]);
        Assert.Equal(1, activity.JobsByStatus[JobStatus.Paused]);
        Assert.Equal(1, activity.JobsByStatus[JobStatus.Completed]);
        Assert.Equal(1, activity.JobsRunning);
        Assert.Equal(101, activity.RunsEnded[RunStatus.Succeeded]);
        Assert.Equal(1, activity.RunsEnded[RunStatus.Failed]);
        Assert.Equal(1, activity.RunsEnded[RunStatus.TimedOut]);
        Assert.Equal(1, activity.RunsEnded[RunStatus.Abandoned]);
        Assert.False(activity.RunsEnded.ContainsKey(RunStatus.Skipped));
        Assert.Equal(1, activity.RunsRunning);
        Assert.Equal(
        [
            new MinuteActivity(0, Fires: 4, Failures: 1, P99LatenessMs: 500),
            new MinuteActivity(1, Fires: 1, Failures: 1, P99LatenessMs: 60_000),
            // Rank ⌈0.99 × 100⌉ = 99 of the ascending latenesses 70 100 … 119 501 is slot 2's: 120 000 − 998.
            new MinuteActivity(2, Fires: 100, Failures: 1, P99LatenessMs: 119_002),
        ], activity.Minutes);

        // A window of the last minute only sees job b's runs and slot 4's end.
        var last = await Jobs.GetProductActivityAsync(new ActivityQuery(Product, Start.AddMinutes(2), 1), default);
        Assert.Equal([new MinuteActivity(0, 100, 1, 119_002)], last.Minutes);
        Assert.Equal(100, last.RunsEnded[RunStatus.Succeeded]);
    }

    [Fact]
    public async Task Activity_of_a_product_without_runs_is_empty()
    {
        var activity = await Jobs.GetProductActivityAsync(new ActivityQuery(Product, Start, 60), default);
        Assert.Empty(activity.JobsByStatus);
        Assert.Empty(activity.RunsEnded);
        Assert.Empty(activity.Minutes);
        Assert.Equal(0, activity.RunsRunning);
    }

    [Fact]
    public async Task Job_search_matches_tag_or_name_ignoring_case_and_pages()
    {
        await CreateAsync(NewJob("alpha-sync") with { Name = "Nightly Export" });
        await CreateAsync(NewJob("beta") with { Name = "ALPHA report" });
        await CreateAsync(NewJob("gamma") with { Name = "Other" });

        async Task<string[]> Search(string q, int limit = 100, string? cursor = null) =>
            [.. (await Jobs.ListJobsAsync(new JobQuery(Product, null, limit, cursor) { Search = q }, default)).Items.Select(j => j.Tag)];

        Assert.Equal(["alpha-sync", "beta"], await Search("Alpha"));
        Assert.Equal(["alpha-sync"], await Search("EXPORT"));
        Assert.Equal(["gamma"], await Search("mm"));
        Assert.Empty(await Search("zeta"));
        var first = await Jobs.ListJobsAsync(new JobQuery(Product, null, 1, null) { Search = "alpha" }, default);
        Assert.Equal("alpha-sync", Assert.Single(first.Items).Tag);
        Assert.Equal(["beta"], await Search("alpha", 1, first.NextCursor));
        Assert.Empty(await Search("%"));
        Assert.Empty(await Search("_"));
    }

    [Fact]
    public async Task Product_runs_filter_by_any_of_several_statuses_newest_first_and_job_runs_by_slot()
    {
        var a = await CreateAsync(NewJob("a"));
        var b = await CreateAsync(NewJob("b"));
        var runsA = (await ClaimAsync(At(3), a.Id)).Runs.ToDictionary(r => r.Run.Slot);
        var runsB = (await ClaimAsync(At(3), b.Id)).Runs.ToDictionary(r => r.Run.Slot);
        await Jobs.CompleteRunsAsync(
        [
            Ended(runsA[1], RunStatus.Failed, At(1), At(1.5)),
            Ended(runsA[2], RunStatus.Succeeded, At(2), At(2.5)),
            Ended(runsA[3], RunStatus.TimedOut, At(3), At(3.5)),
            Ended(runsB[1], RunStatus.Abandoned, At(1), At(1.5)),
            Ended(runsB[2], RunStatus.Failed, At(2), At(2.5)),
        ], default);

        var failures = await Jobs.ListRunsAsync(new RunQuery(Product, null, null, 100, null) { Statuses = [RunStatus.Failed, RunStatus.TimedOut, RunStatus.Abandoned] }, default);
        var expected = new[] { runsA[1], runsA[3], runsB[1], runsB[2] }.Select(r => r.Run.Id).OrderDescending(StringComparer.Ordinal).ToArray();
        Assert.Equal(expected, failures.Items.Select(r => r.Id));

        var page = await Jobs.ListRunsAsync(new RunQuery(Product, null, null, 3, null) { Statuses = [RunStatus.Failed, RunStatus.TimedOut, RunStatus.Abandoned] }, default);
        Assert.Equal(expected[..3], page.Items.Select(r => r.Id));
        var rest = await Jobs.ListRunsAsync(new RunQuery(Product, null, null, 3, page.NextCursor) { Statuses = [RunStatus.Failed, RunStatus.TimedOut, RunStatus.Abandoned] }, default);
        Assert.Equal(expected[3..], rest.Items.Select(r => r.Id));
        Assert.Null(rest.NextCursor);

        var ofJobA = await Jobs.ListRunsAsync(new RunQuery(Product, "a", null, 100, null) { Statuses = [RunStatus.Failed, RunStatus.Succeeded] }, default);
        Assert.Equal([runsA[2].Run.Id, runsA[1].Run.Id], ofJobA.Items.Select(r => r.Id));

        var slot2 = await Jobs.ListRunsAsync(new RunQuery(Product, "a", null, 100, null) { Slot = 2 }, default);
        var only = Assert.Single(slot2.Items);
        Assert.Equal((runsA[2].Run.Id, 2L, RunStatus.Succeeded), (only.Id, only.Slot, only.Status));
        Assert.Empty((await Jobs.ListRunsAsync(new RunQuery(Product, "a", null, 100, null) { Slot = 9 }, default)).Items);
    }

    [Fact]
    public async Task Secrets_list_names_and_when_each_was_last_set_by_name()
    {
        await Catalog.PutSecretAsync(Product, "TOKEN", "protected-1", default);
        Time.Advance(TimeSpan.FromSeconds(5));
        await Catalog.PutSecretAsync(Product, "API_KEY", "protected-2", default);
        await Catalog.CreateProductAsync(new ProductRecord { Tag = "other", Name = "Other", CreatedAt = Start, UpdatedAt = Start }, default);
        await Catalog.PutSecretAsync("other", "ELSEWHERE", "protected-3", default);

        var listed = await Catalog.ListSecretsAsync(Product, default);
        Assert.Equal(["API_KEY", "TOKEN"], listed.Select(s => s.Name));
        Time.Advance(TimeSpan.FromSeconds(5));
        await Catalog.PutSecretAsync(Product, "TOKEN", "protected-4", default);
        var again = (await Catalog.ListSecretsAsync(Product, default)).ToDictionary(s => s.Name, s => s.UpdatedAt);
        Assert.True(again["TOKEN"] > again["API_KEY"], $"TOKEN set last: {again["TOKEN"]} vs {again["API_KEY"]}");
        Assert.Empty(await Catalog.ListSecretsAsync("nobody", default));
    }

    private static RunCompletion Ended(ClaimedRun claimed, RunStatus status, DateTimeOffset startedAt, DateTimeOffset finishedAt) =>
        new(claimed.Run.Id, claimed.Run.JobId, claimed.Run.Attempt, status, startedAt, finishedAt,
            status == RunStatus.Succeeded ? null : "boom", status == RunStatus.Succeeded ? null : "exception", null, null, claimed.Run.Node);
}
