using System.Text.Json;
using Metronome.Contracts;

namespace Metronome.Cli.Tests;

/// <summary><c>metronome apply -f jobs.yaml</c> run as a process against <c>metronome serve</c>, with real YAML files.</summary>
[Collection(CliCollection.Name)]
public sealed class ApplyCommandTests(CliFixture fixture) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("metronome-apply-").FullName;

    private const string TwoJobs = """
        # what the shop runs
        jobs:
          - tag: nightly
            name: Nightly report
            event_type: action
            event_tag: action_tag
            executions: 0
            intervals: 86400000
            input:
              region: eu
              batch: 50
              ratio: 0.5
              code: "007"
              flags: [true, null]
            retries:
              max_attempts: 3
          - tag: hourly
            name: "Hourly: sync"
            event_type: action
            event_tag: action_tag
            executions: 10
            intervals: 3600000
        """;

    private string Write(string yaml, string name = "jobs.yaml")
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    [Fact]
    public async Task Apply_creates_the_jobs_of_the_file_and_a_second_apply_reports_no_changes()
    {
        var shop = await fixture.CreateProductAsync();
        var file = Write(TwoJobs);

        var first = await fixture.RunAsync("apply", "-f", file, "--product", shop);

        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.Contains("+ hourly (created)", first.Stdout);
        Assert.Contains("+ nightly (created)", first.Stdout);
        var nightly = await fixture.Admin.Product(shop).Jobs.FetchAsync("nightly");
        Assert.Equal(86_400_000, nightly.Intervals);
        Assert.Equal(3, nightly.Retries!.MaxAttempts);
        var input = nightly.Input!.Value;
        Assert.Equal(JsonValueKind.Number, input.GetProperty("batch").ValueKind);
        Assert.Equal(0.5, input.GetProperty("ratio").GetDouble());
        Assert.Equal("007", input.GetProperty("code").GetString());
        Assert.Equal("eu", input.GetProperty("region").GetString());
        Assert.Equal("[true,null]", input.GetProperty("flags").GetRawText());
        Assert.Equal("Hourly: sync", (await fixture.Admin.Product(shop).Jobs.FetchAsync("hourly")).Name);

        var second = await fixture.RunAsync("apply", "-f", file, "--product", shop);

        Assert.True(second.ExitCode == 0, second.Stderr);
        Assert.Contains("No changes", second.Stdout);
        Assert.Contains("2 unchanged", second.Stdout);
        Assert.Equal(nightly.UpdatedAt, (await fixture.Admin.Product(shop).Jobs.FetchAsync("nightly")).UpdatedAt);
    }

    [Fact]
    public async Task Dry_run_prints_the_diff_and_changes_nothing()
    {
        var shop = await fixture.CreateProductAsync();
        Assert.Equal(0, (await fixture.RunAsync("apply", "-f", Write(TwoJobs), "--product", shop)).ExitCode);
        var changed = Write(TwoJobs.Replace("executions: 10", "executions: 12", StringComparison.Ordinal)
            .Replace("  - tag: nightly", "  - tag: weekly", StringComparison.Ordinal), "changed.yaml");

        var result = await fixture.RunAsync("apply", "-f", changed, "--product", shop, "--dry-run", "--prune");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("+ weekly (would be created)", result.Stdout);
        Assert.Contains("~ hourly (would be updated)", result.Stdout);
        Assert.Contains("    executions: 10 → 12", result.Stdout);
        Assert.Contains("- nightly (would be deleted)", result.Stdout);
        Assert.Contains("Dry run", result.Stdout);
        var jobs = await fixture.Admin.Product(shop).Jobs.FetchAllAsync();
        Assert.Equal(["hourly", "nightly"], jobs.Select(j => j.Tag).Order());
        Assert.Equal(10, jobs.Single(j => j.Tag == "hourly").Executions);

        var applied = await fixture.RunAsync("apply", "-f", changed, "--product", shop, "--prune", "--json");
        Assert.True(applied.ExitCode == 0, applied.Stderr);
        var wire = JsonSerializer.Deserialize<JobsApplyResult>(applied.Stdout, MetronomeJson.Options)!;
        Assert.False(wire.DryRun);
        Assert.Equal(["weekly"], wire.Created);
        Assert.Equal(["nightly"], wire.Deleted);
        Assert.Equal(12, wire.Updated.Single().Changes["executions"].New!.Value.GetInt64());
    }

    [Fact]
    public async Task A_yaml_syntax_error_names_the_line_and_column_exits_2_and_sends_nothing()
    {
        var shop = await fixture.CreateProductAsync();
        var file = Write("""
            jobs:
              - tag: broken
                name: [unclosed
                intervals: 1000
            """);

        var result = await fixture.RunAsync("apply", "-f", file, "--product", shop);

        Assert.Equal(2, result.ExitCode);
        Assert.Matches(@"jobs\.yaml:\d+:\d+: invalid YAML", result.Stderr);
        Assert.Empty(await fixture.Admin.Product(shop).Jobs.FetchAllAsync());
    }

    [Fact]
    public async Task A_wrong_file_shape_or_unknown_field_is_refused_with_its_line()
    {
        var shop = await fixture.CreateProductAsync();

        var noJobs = await fixture.RunAsync("apply", "-f", Write("job:\n  - tag: x\n", "nojobs.yaml"), "--product", shop);
        Assert.Equal(2, noJobs.ExitCode);
        Assert.Contains("nojobs.yaml:1:1: unknown top-level key 'job'", noJobs.Stderr);

        var unknown = await fixture.RunAsync("apply", "-f", Write("jobs:\n  - tag: x\n    colour: red\n", "unknown.yaml"), "--product", shop);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("unknown.yaml:3:5: jobs[0]: unknown field 'colour'", unknown.Stderr);

        var missing = await fixture.RunAsync("apply", "-f", Path.Combine(_dir, "absent.yaml"), "--product", shop);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("cannot read", missing.Stderr);
    }

    [Fact]
    public async Task Values_the_server_refuses_exit_1_naming_the_job_field_and_nothing_is_applied()
    {
        var shop = await fixture.CreateProductAsync();
        var file = Write(TwoJobs.Replace("intervals: 3600000", "intervals: 0", StringComparison.Ordinal));

        var result = await fixture.RunAsync("apply", "-f", file, "--product", shop);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("jobs[1].intervals", result.Stderr);
        Assert.Empty(await fixture.Admin.Product(shop).Jobs.FetchAllAsync());
    }

    [Fact]
    public async Task Apply_reads_the_file_from_stdin_with_dash()
    {
        var shop = await fixture.CreateProductAsync();

        var result = await fixture.RunWithInputAsync(TwoJobs, "apply", "-f", "-", "--product", shop);

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal(2, (await fixture.Admin.Product(shop).Jobs.FetchAllAsync()).Count);
    }

    [Fact]
    public async Task The_example_file_of_apply_md_applies_as_written_and_twice_changes_nothing()
    {
        var shop = await fixture.CreateProductAsync();
        foreach (var tag in new[] { "send-report", "sync-crm" })
            await fixture.Admin.Product(shop).Events.CreateAsync(new ProductEvent
            {
                Type = "action", Tag = tag, Name = tag,
                Definition = JsonSerializer.SerializeToElement(new { method = "POST", url = "http://127.0.0.1:9/" + tag }),
            });
        var file = Write(FirstYamlBlock(File.ReadAllLines(DocPath("apply.md"))), "example.yaml");

        var first = await fixture.RunAsync("apply", "-f", file, "--product", shop);
        var second = await fixture.RunAsync("apply", "-f", file, "--product", shop);

        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.Contains("2 created", first.Stdout);
        Assert.True(second.ExitCode == 0, second.Stderr);
        Assert.Contains("No changes", second.Stdout);
        var report = await fixture.Admin.Product(shop).Jobs.FetchAsync("nightly-report");
        Assert.Equal(["ops@example.com"], report.Input!.Value.GetProperty("recipients").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(3, report.Retries!.MaxAttempts);
    }

    private static string FirstYamlBlock(string[] lines)
    {
        var start = Array.IndexOf(lines, "```yaml") + 1;
        Assert.True(start > 0, "docs/apply.md has no ```yaml block");
        return string.Join('\n', lines[start..Array.IndexOf(lines, "```", start)]);
    }

    private static string DocPath(string page)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "docs", page))) return Path.Combine(dir.FullName, "docs", page);
        throw new InvalidOperationException($"docs/{page} not found above {AppContext.BaseDirectory}");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
