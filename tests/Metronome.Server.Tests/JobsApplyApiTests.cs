using System.Text.Json;
using Metronome.Contracts;
using Metronome.Server.Tests.Infrastructure;

namespace Metronome.Server.Tests;

/// <summary><c>POST /api/products/{product}/jobs:apply</c> on a real server: create, idempotence, update diff, prune, dry run, validation.</summary>
public sealed class JobsApplyApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private TestServer Server => fixture.Server;
    private HttpClient Admin => fixture.Server.Admin;

    private async Task<(string Product, string Event)> ProductWithEventAsync()
    {
        var product = (await Server.CreateProductAsync()).Tag!;
        var ev = await Admin.CreateActionEventAsync(product, fixture.Target.Url);
        return (product, ev.Tag!);
    }

    private static ProductJob Job(string ev, string tag, long executions = 0, string name = "A job") => new()
    {
        Name = name,
        Tag = tag,
        EventType = "ACTION",
        EventTag = ev,
        Executions = executions,
        Intervals = 3_600_000,
        Input = JsonSerializer.SerializeToElement(new { region = "eu", sizes = new[] { 1, 2 } }),
        Retries = new RetryOptions { MaxAttempts = 3 },
        Overlap = "queue",
    };

    private async Task<JobsApplyResult> ApplyAsync(string product, object body, bool prune = false, bool dryRun = false)
    {
        var response = await Admin.PostAsync(Routes.JobsApply(product) + $"?prune={(prune ? "true" : "false")}&dry_run={(dryRun ? "true" : "false")}", TestApi.Json(body));
        await response.ExpectAsync(200);
        return await response.ReadAsync<JobsApplyResult>();
    }

    private async Task<Dictionary<string, ProductJob>> JobsAsync(string product) =>
        (await Admin.GetJsonAsync<Page<ProductJob>>(Routes.Jobs(product))).Items.ToDictionary(j => j.Tag!);

    [Fact]
    public async Task Apply_creates_the_jobs_and_a_second_identical_apply_changes_nothing()
    {
        var (product, ev) = await ProductWithEventAsync();
        var body = new { jobs = new[] { Job(ev, "alpha"), Job(ev, "beta", executions: 5), Job(ev, "gamma") } };

        var first = await ApplyAsync(product, body);
        Assert.False(first.DryRun);
        Assert.Equal(["alpha", "beta", "gamma"], first.Created);
        Assert.Empty(first.Updated);
        Assert.Empty(first.Unchanged);
        var before = await JobsAsync(product);
        Assert.Equal(5, before["beta"].Executions);
        Assert.Equal("queue", before["alpha"].Overlap);
        Assert.Equal(3, before["alpha"].Retries!.MaxAttempts);

        var second = await ApplyAsync(product, body);

        Assert.Empty(second.Created);
        Assert.Empty(second.Updated);
        Assert.Empty(second.Deleted);
        Assert.Equal(["alpha", "beta", "gamma"], second.Unchanged);
        var after = await JobsAsync(product);
        foreach (var tag in new[] { "alpha", "beta", "gamma" })
        {
            Assert.Equal(before[tag].UpdatedAt, after[tag].UpdatedAt);
            Assert.Equal(before[tag].NextRunAt, after[tag].NextRunAt);
        }
    }

    [Fact]
    public async Task A_changed_field_updates_only_that_job_and_reports_the_field_diff()
    {
        var (product, ev) = await ProductWithEventAsync();
        await ApplyAsync(product, new { jobs = new[] { Job(ev, "kept"), Job(ev, "changed", executions: 5) } });
        var before = await JobsAsync(product);

        var result = await ApplyAsync(product, new { jobs = new[] { Job(ev, "kept"), Job(ev, "changed", executions: 7, name: "Renamed") } });

        Assert.Empty(result.Created);
        Assert.Equal(["kept"], result.Unchanged);
        var update = Assert.Single(result.Updated);
        Assert.Equal("changed", update.Tag);
        Assert.Equal(["executions", "name"], update.Changes.Keys.Order());
        Assert.Equal(5, update.Changes["executions"].Old!.Value.GetInt64());
        Assert.Equal(7, update.Changes["executions"].New!.Value.GetInt64());
        Assert.Equal("A job", update.Changes["name"].Old!.Value.GetString());
        Assert.Equal("Renamed", update.Changes["name"].New!.Value.GetString());
        var after = await JobsAsync(product);
        Assert.Equal(7, after["changed"].Executions);
        Assert.Equal("Renamed", after["changed"].Name);
        Assert.Equal(before["kept"].UpdatedAt, after["kept"].UpdatedAt);
        // Its schedule did not change, so its grid did not move.
        Assert.Equal(before["changed"].NextRunAt, after["changed"].NextRunAt);
    }

    [Fact]
    public async Task Jobs_missing_from_the_file_are_kept_without_prune_and_deleted_with_it()
    {
        var (product, ev) = await ProductWithEventAsync();
        await ApplyAsync(product, new { jobs = new[] { Job(ev, "one"), Job(ev, "two"), Job(ev, "three") } });

        var kept = await ApplyAsync(product, new { jobs = new[] { Job(ev, "one") } });
        Assert.Empty(kept.Deleted);
        Assert.Equal(3, (await JobsAsync(product)).Count);

        var pruned = await ApplyAsync(product, new { jobs = new[] { Job(ev, "one") } }, prune: true);

        Assert.Equal(["three", "two"], pruned.Deleted);
        Assert.Equal(["one"], pruned.Unchanged);
        Assert.Equal(["one"], (await JobsAsync(product)).Keys);
        await (await Admin.GetAsync(Routes.Job(product, "two"))).ExpectAsync(404);
    }

    [Fact]
    public async Task Dry_run_reports_the_diff_and_changes_nothing()
    {
        var (product, ev) = await ProductWithEventAsync();
        await ApplyAsync(product, new { jobs = new[] { Job(ev, "stay", executions: 1), Job(ev, "gone") } });
        var before = await JobsAsync(product);

        var result = await ApplyAsync(product, new { jobs = new[] { Job(ev, "stay", executions: 2), Job(ev, "new") } }, prune: true, dryRun: true);

        Assert.True(result.DryRun);
        Assert.Equal(["new"], result.Created);
        Assert.Equal("stay", Assert.Single(result.Updated).Tag);
        Assert.Equal(2, result.Updated[0].Changes["executions"].New!.Value.GetInt64());
        Assert.Equal(["gone"], result.Deleted);
        var after = await JobsAsync(product);
        Assert.Equal(["gone", "stay"], after.Keys.Order());
        Assert.Equal(1, after["stay"].Executions);
        Assert.Equal(before["stay"].UpdatedAt, after["stay"].UpdatedAt);
    }

    [Fact]
    public async Task Invalid_jobs_answer_400_keyed_by_index_and_nothing_is_applied()
    {
        var (product, ev) = await ProductWithEventAsync();
        await ApplyAsync(product, new { jobs = new[] { Job(ev, "existing", executions: 1) } });
        var body = new
        {
            jobs = new object?[]
            {
                Job(ev, "valid"),
                TestApi.Job(ev, "bad-interval", intervals: 0),
                Job(ev, "valid"),
                TestApi.Job("no-such-event", "orphan"),
                null,
            },
        };

        var response = await Admin.PostAsync(Routes.JobsApply(product) + "?prune=true", TestApi.Json(body));

        var text = await response.ExpectAsync(400);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = JsonDocument.Parse(text).RootElement.GetProperty("errors");
        Assert.Equal(["jobs[1].intervals", "jobs[2].tag", "jobs[3].event_tag", "jobs[4]"], errors.EnumerateObject().Select(p => p.Name).Order());
        Assert.Contains("jobs[0]", errors.GetProperty("jobs[2].tag")[0].GetString());
        Assert.Equal(["existing"], (await JobsAsync(product)).Keys);
    }

    [Fact]
    public async Task Unknown_fields_answer_400_naming_them_and_a_missing_jobs_list_too()
    {
        var (product, ev) = await ProductWithEventAsync();
        var unknown = await Admin.PostAsync(Routes.JobsApply(product),
            TestApi.Raw($$"""{"jobs":[{"name":"n","tag":"t","event_type":"action","event_tag":"{{ev}}","executions":0,"intervals":1000,"colour":"red"}]}"""));
        var text = await unknown.ExpectAsync(400);
        Assert.True(JsonDocument.Parse(text).RootElement.GetProperty("errors").TryGetProperty("jobs[0].colour", out _), text);

        var missing = await Admin.PostAsync(Routes.JobsApply(product), TestApi.Raw("{}"));
        Assert.True(JsonDocument.Parse(await missing.ExpectAsync(400)).RootElement.GetProperty("errors").TryGetProperty("jobs", out _));

        var badFlag = await Admin.PostAsync(Routes.JobsApply(product) + "?prune=yes", TestApi.Raw("""{"jobs":[]}"""));
        Assert.True(JsonDocument.Parse(await badFlag.ExpectAsync(400)).RootElement.GetProperty("errors").TryGetProperty("prune", out _));
        Assert.Empty(await JobsAsync(product));
    }

    [Fact]
    public async Task A_paused_job_stays_paused_and_read_only_fields_in_the_file_are_ignored()
    {
        var (product, ev) = await ProductWithEventAsync();
        await ApplyAsync(product, new { jobs = new[] { Job(ev, "sleepy") } });
        await (await Admin.PostAsync(Routes.Job(product, "sleepy") + "/pause", null)).ExpectAsync(200);
        // A job as GET shows it (read-only fields included) applies as its spec: status, executions_done... are not compared.
        var exported = await Admin.GetJsonAsync<ProductJob>(Routes.Job(product, "sleepy"));
        exported.Status = "active";
        exported.ExecutionsDone = 42;

        var same = await ApplyAsync(product, new { jobs = new[] { exported } });
        Assert.Equal(["sleepy"], same.Unchanged);

        var changed = await ApplyAsync(product, new { jobs = new[] { Job(ev, "sleepy", executions: 3) } });
        Assert.Equal(["executions"], Assert.Single(changed.Updated).Changes.Keys);
        var job = await Admin.GetJsonAsync<ProductJob>(Routes.Job(product, "sleepy"));
        Assert.Equal("paused", job.Status);
        Assert.Equal(3, job.Executions);
    }

    [Fact]
    public async Task Apply_audits_each_create_and_update_once_and_a_second_identical_apply_audits_nothing()
    {
        var (product, ev) = await ProductWithEventAsync();
        var body = new { jobs = new[] { Job(ev, "audited"), Job(ev, "other") } };
        await ApplyAsync(product, body);
        var afterFirst = await AuditAsync(product);
        Assert.Equal(2, afterFirst.Count(e => e.Action == "job.create"));

        await ApplyAsync(product, body);

        Assert.Equal(afterFirst.Count, (await AuditAsync(product)).Count);

        await ApplyAsync(product, new { jobs = new[] { Job(ev, "audited", executions: 4), Job(ev, "other") } });
        var afterChange = await AuditAsync(product);
        Assert.Equal(afterFirst.Count + 1, afterChange.Count);
        var update = afterChange[0];
        Assert.Equal(("job.update", "audited", "admin"), (update.Action, update.Target, update.Actor));
        Assert.Equal(4, update.Changes["executions"].New!.Value.GetInt64());

        await ApplyAsync(product, new { jobs = new[] { Job(ev, "audited", executions: 4) } }, prune: true);
        var afterPrune = await AuditAsync(product);
        Assert.Equal(("job.delete", "other"), (afterPrune[0].Action, afterPrune[0].Target));
        Assert.Equal(afterChange.Count + 1, afterPrune.Count);
    }

    private async Task<IReadOnlyList<AuditLogEntry>> AuditAsync(string product) =>
        (await Admin.GetJsonAsync<Page<AuditLogEntry>>(Routes.Audit(product) + "?limit=500")).Items;

    [Fact]
    public async Task Concurrent_applies_of_one_file_create_each_job_once()
    {
        var (product, ev) = await ProductWithEventAsync();
        var body = new { jobs = Enumerable.Range(0, 20).Select(i => Job(ev, $"job-{i:00}")).ToArray() };

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => ApplyAsync(product, body)));

        Assert.Equal(20, results.Sum(r => r.Created.Count));
        Assert.All(results, r => Assert.Empty(r.Updated));
        Assert.Equal(20, (await JobsAsync(product)).Count);
        var again = await ApplyAsync(product, body);
        Assert.Equal(20, again.Unchanged.Count);
        Assert.False(again.HasChanges);
    }
}
