using System.Text.Json;
using Metronome.Contracts;

namespace Metronome.Cli.Tests;

/// <summary>The built <c>metronome</c> run as a process against <c>metronome serve</c>.</summary>
[Collection(CliCollection.Name)]
public sealed class JobsCommandTests(CliFixture fixture)
{
    [Fact]
    public async Task Jobs_create_with_friendly_duration_and_event_creates_the_job()
    {
        var shop = await fixture.CreateProductAsync();

        var result = await fixture.RunAsync("jobs", "create", "--product", shop, "--tag", "from-cli", "--name", "From CLI",
            "--event", "action:action_tag", "--executions", "2", "--intervals", "300ms");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("from-cli", result.Stdout);
        var job = await fixture.Admin.Product(shop).Jobs.FetchAsync("from-cli");
        Assert.Equal("From CLI", job.Name);
        Assert.Equal(JobEventTypes.Action, job.EventType);
        Assert.Equal("action_tag", job.EventTag);
        Assert.Equal(2, job.Executions);
        Assert.Equal(300, job.Intervals);
    }

    [Fact]
    public async Task Jobs_create_with_cron_and_tz_and_get_shows_the_next_runs()
    {
        var shop = await fixture.CreateProductAsync();

        var created = await fixture.RunAsync("jobs", "create", "--product", shop, "--tag", "mornings", "--event", "action:action_tag",
            "--executions", "0", "--cron", "30 2 * * *", "--tz", "Europe/Berlin", "--jitter", "5s", "--catch-up-limit", "3",
            "--misfire", "catch_up", "--start-at", "2031-03-29T12:00:00Z");
        Assert.True(created.ExitCode == 0, created.Stderr);
        var job = await fixture.Admin.Product(shop).Jobs.FetchAsync("mornings");
        Assert.Equal(("30 2 * * *", "Europe/Berlin", 5_000L, 3, (long?)null), (job.Cron, job.TimeZone, job.JitterMs, job.CatchUpLimit, job.Intervals));

        var shown = await fixture.RunAsync("jobs", "get", "mornings", "--product", shop);
        Assert.True(shown.ExitCode == 0, shown.Stderr);
        Assert.Contains("30 2 * * * (Europe/Berlin)", shown.Stdout);
        Assert.Contains("next runs", shown.Stdout);
        Assert.Contains("2031-03-30 01:00:00.000Z", shown.Stdout); // 02:30 does not exist that night: it runs at the jump
        Assert.Contains("2031-04-03 00:30:00.000Z", shown.Stdout); // the fifth

        var json = await fixture.RunAsync("jobs", "get", "mornings", "--product", shop, "--json");
        var wire = JsonSerializer.Deserialize<ProductJob>(json.Stdout, MetronomeJson.Options)!;
        Assert.Equal(5, wire.NextRuns!.Count);

        var updated = await fixture.RunAsync("jobs", "update", "mornings", "--product", shop, "--intervals", "1h");
        Assert.True(updated.ExitCode == 0, updated.Stderr);
        Assert.Null((await fixture.Admin.Product(shop).Jobs.FetchAsync("mornings")).Cron);

        var both = await fixture.RunAsync("jobs", "create", "--product", shop, "--tag", "both", "--event", "action:action_tag",
            "--executions", "0", "--cron", "@daily", "--intervals", "1h");
        Assert.NotEqual(0, both.ExitCode);
        Assert.Contains("exactly one of intervals and cron", both.Stderr);
    }

    [Fact]
    public async Task Jobs_list_json_prints_every_job_as_a_wire_json_array()
    {
        var shop = await fixture.CreateProductAsync();
        var jobs = fixture.Admin.Product(shop).Jobs;
        await jobs.CreateAsync(new ProductJob { Name = "A", Tag = "a", EventType = "action", EventTag = "action_tag", Executions = 0, Intervals = 60_000 });
        await jobs.CreateAsync(new ProductJob { Name = "B", Tag = "b", EventType = "action", EventTag = "action_tag", Executions = 5, Intervals = 5_000 });

        var result = await fixture.RunAsync("jobs", "list", "--product", shop, "--json");

        Assert.True(result.ExitCode == 0, result.Stderr);
        var listed = JsonSerializer.Deserialize<List<ProductJob>>(result.Stdout, MetronomeJson.Options)!;
        Assert.Equal(["a", "b"], listed.Select(j => j.Tag).Order());
        Assert.Equal(5_000, listed.Single(j => j.Tag == "b").Intervals);
        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.True(doc.RootElement[0].TryGetProperty("event_tag", out _));
    }

    [Fact]
    public async Task Jobs_list_with_a_status_prints_only_the_jobs_of_that_status()
    {
        var shop = await fixture.CreateProductAsync();
        var jobs = fixture.Admin.Product(shop).Jobs;
        await jobs.CreateAsync(new ProductJob { Name = "A", Tag = "a", EventType = "action", EventTag = "action_tag", Executions = 0, Intervals = 60_000 });
        await jobs.CreateAsync(new ProductJob { Name = "B", Tag = "b", EventType = "action", EventTag = "action_tag", Executions = 0, Intervals = 60_000 });
        await jobs.PauseAsync("b");

        var result = await fixture.RunAsync("jobs", "list", "--product", shop, "--status", "paused", "--json");

        Assert.True(result.ExitCode == 0, result.Stderr);
        var listed = JsonSerializer.Deserialize<List<ProductJob>>(result.Stdout, MetronomeJson.Options)!;
        Assert.Equal(["b"], listed.Select(j => j.Tag));
    }

    [Theory]
    [InlineData("..")]
    [InlineData("%2e%2e")]
    [InlineData(".")]
    public async Task Jobs_delete_of_a_dot_segment_fails_client_side_and_leaves_the_product(string tag)
    {
        var shop = await fixture.CreateProductAsync();
        var jobs = fixture.Admin.Product(shop).Jobs;
        await jobs.CreateAsync(new ProductJob { Name = "A", Tag = "a", EventType = "action", EventTag = "action_tag", Executions = 0, Intervals = 60_000 });

        var result = await fixture.RunAsync("jobs", "delete", tag, "--product", shop);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"metronome: job tag '{tag}' is not a valid tag: it must match {ResourceNames.TagPattern}.", result.Stderr.Trim());
        Assert.Equal(shop, (await fixture.Admin.Products.FetchAsync(shop)).Tag);
        Assert.Equal("a", (await jobs.FetchAsync("a")).Tag);
    }

    [Fact]
    public async Task A_product_option_that_is_not_a_tag_fails_client_side()
    {
        var result = await fixture.RunAsync("jobs", "list", "--product", "..");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("product tag '..' is not a valid tag", result.Stderr);
    }

    [Fact]
    public async Task Jobs_get_of_a_missing_job_fails_with_one_clear_line_and_a_non_zero_exit_code()
    {
        var shop = await fixture.CreateProductAsync();

        var result = await fixture.RunAsync("jobs", "get", "nope", "--product", shop);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Equal($"metronome: job 'nope' not found in product '{shop}'", result.Stderr.Trim());
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task Jobs_runs_follow_prints_a_new_run_as_it_happens()
    {
        var shop = await fixture.CreateProductAsync();
        var jobs = fixture.Admin.Product(shop).Jobs;
        await jobs.CreateAsync(new ProductJob { Name = "F", Tag = "followed", EventType = "function", EventTag = "sum", Executions = 0, Intervals = 3_600_000 });
        await using var follow = fixture.Start("jobs", "runs", "followed", "--product", shop, "--follow");
        await follow.WaitForLineAsync(l => l.Contains("Waiting for runs", StringComparison.Ordinal), TimeSpan.FromSeconds(30));

        var run = await jobs.TriggerAsync("followed");
        var line = await follow.WaitForLineAsync(l => l.Contains(run.Id!, StringComparison.Ordinal) && l.Contains("succeeded", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30));

        Assert.Contains("slot trigger", line);
        Assert.False(follow.HasExited);
    }

    [Fact]
    public async Task Jobs_runs_follow_json_prints_one_json_object_per_run_line()
    {
        var shop = await fixture.CreateProductAsync();
        var jobs = fixture.Admin.Product(shop).Jobs;
        await jobs.CreateAsync(new ProductJob
        {
            Name = "F", Tag = "ticking", EventType = "function", EventTag = "sum", Executions = 2, Intervals = 200, StartAt = "now", Overlap = "allow",
        });
        await using var follow = fixture.Start("jobs", "runs", "ticking", "--product", shop, "--follow", "--json");

        var line = await follow.WaitForLineAsync(l => l.Contains("\"slot\":2", StringComparison.Ordinal) && l.Contains("succeeded", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30));

        var run = JsonSerializer.Deserialize<JobRun>(line, MetronomeJson.Options)!;
        Assert.Equal("ticking", run.JobTag);
    }

    [Fact]
    public async Task Jobs_update_pause_resume_trigger_and_delete_act_on_the_job()
    {
        var shop = await fixture.CreateProductAsync();
        Assert.Equal(0, (await fixture.RunAsync("jobs", "create", "-p", shop, "--tag", "j", "--event", "FUNCTION:sum", "--executions", "0", "--intervals", "1h")).ExitCode);

        var update = await fixture.RunAsync("jobs", "update", "j", "-p", shop, "--intervals", "1m30s", "--name", "Renamed", "--json");
        var pause = await fixture.RunAsync("jobs", "pause", "j", "-p", shop, "--json");
        var resume = await fixture.RunAsync("jobs", "resume", "j", "-p", shop);
        var trigger = await fixture.RunAsync("jobs", "trigger", "j", "-p", shop, "--json");
        var runs = await fixture.RunAsync("jobs", "runs", "j", "-p", shop);
        var delete = await fixture.RunAsync("jobs", "delete", "j", "-p", shop);

        var updated = JsonSerializer.Deserialize<ProductJob>(update.Stdout, MetronomeJson.Options)!;
        Assert.Equal(("Renamed", 90_000L), (updated.Name, updated.Intervals!.Value));
        Assert.Equal(JobStatuses.Paused, JsonSerializer.Deserialize<ProductJob>(pause.Stdout, MetronomeJson.Options)!.Status);
        Assert.Contains("active", resume.Stdout);
        var run = JsonSerializer.Deserialize<JobRun>(trigger.Stdout, MetronomeJson.Options)!;
        Assert.Contains(run.Id!, runs.Stdout);
        Assert.True(delete.ExitCode == 0, delete.Stderr);
        Assert.Empty(await fixture.Admin.Product(shop).Jobs.FetchAllAsync());
    }

    [Fact]
    public async Task Invalid_input_names_the_fields_in_one_line_and_fails()
    {
        var shop = await fixture.CreateProductAsync();

        var server = await fixture.RunAsync("jobs", "create", "-p", shop, "--tag", "Bad Tag", "--event", "action:action_tag", "--executions", "1", "--intervals", "1");
        var local = await fixture.RunAsync("jobs", "create", "-p", shop, "--tag", "t", "--event", "action:action_tag", "--executions", "1", "--intervals", "5 parsecs");

        Assert.NotEqual(0, server.ExitCode);
        Assert.Single(server.Stderr.Trim().Split('\n'));
        Assert.StartsWith("metronome: invalid input: tag", server.Stderr);
        Assert.Contains("intervals", server.Stderr);
        Assert.NotEqual(0, local.ExitCode);
        Assert.Single(local.Stderr.Trim().Split('\n'));
        Assert.Contains("'5 parsecs' is not a duration", local.Stderr);
    }
}
