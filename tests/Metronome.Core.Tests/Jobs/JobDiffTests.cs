using System.Reflection;
using System.Text.Json;
using Metronome.Contracts;
using Metronome.Core.Jobs;
using Metronome.Core.Scheduling;

namespace Metronome.Core.Tests.Jobs;

public sealed class JobDiffTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    private static ProductJob Minimal(string tag = "nightly") => new()
    {
        Name = "Nightly", Tag = tag, EventType = "action", EventTag = "call", Executions = 0, Intervals = 60_000,
    };

    /// <summary>The job as the server would hold it after creating <paramref name="request"/>, as the wire shows it.</summary>
    private static JsonElement AsCreated(ProductJob request) =>
        JobDiff.ToElement(JobTransitions.Create("shop", JobValidator.ValidateCreate(request, new JobLimits(), Now), Now).ToContract());

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    private static Dictionary<string, JobFieldChange> Diff(ProductJob current, ProductJob wanted) =>
        JobDiff.Compare(AsCreated(current), AsCreated(wanted), JobDiff.ToElement(wanted), JobDiff.ComparedFields);

    [Fact]
    public void Every_field_a_job_update_accepts_and_a_job_shows_is_compared()
    {
        static string Wire(PropertyInfo p) => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name);
        var shown = typeof(ProductJob).GetProperties().Select(Wire).ToHashSet();
        var expected = typeof(ProductJobUpdate).GetProperties().Select(Wire).Where(shown.Contains).Order();

        Assert.Equal(expected, JobDiff.ComparedFields.Order());
        Assert.Contains("intervals", JobDiff.ComparedFields);
        Assert.Contains("retries", JobDiff.ComparedFields);
    }

    [Theory]
    [InlineData("tag")]
    [InlineData("status")]
    [InlineData("executions_done")]
    [InlineData("next_run_at")]
    [InlineData("last_run_at")]
    [InlineData("created_at")]
    [InlineData("updated_at")]
    [InlineData("running")]
    public void Read_only_state_and_the_key_are_never_compared(string field) =>
        Assert.DoesNotContain(field, JobDiff.ComparedFields);

    [Fact]
    public void Omitted_fields_compare_as_their_defaults()
    {
        var explicitDefaults = Minimal();
        explicitDefaults.Overlap = "skip";
        explicitDefaults.Misfire = "fire_once";
        explicitDefaults.Retries = new RetryOptions { MaxAttempts = 1, BackoffMs = 1000, MaxBackoffMs = 60_000 };
        explicitDefaults.TimeoutMs = 30_000;
        explicitDefaults.Input = Json("{}");
        explicitDefaults.EventType = "ACTION";

        Assert.Empty(Diff(explicitDefaults, Minimal()));
        Assert.Empty(Diff(Minimal(), explicitDefaults));
    }

    [Fact]
    public void A_changed_field_is_reported_with_its_old_and_new_value_and_nothing_else()
    {
        var wanted = Minimal();
        wanted.Intervals = 120_000;
        wanted.Retries = new RetryOptions { MaxAttempts = 3 };

        var changes = Diff(Minimal(), wanted);

        Assert.Equal(["intervals", "retries"], changes.Keys.Order());
        Assert.Equal(60_000, changes["intervals"].Old!.Value.GetInt64());
        Assert.Equal(120_000, changes["intervals"].New!.Value.GetInt64());
        Assert.Equal(1, changes["retries"].Old!.Value.GetProperty("max_attempts").GetInt32());
        Assert.Equal(3, changes["retries"].New!.Value.GetProperty("max_attempts").GetInt32());
    }

    [Fact]
    public void Input_is_compared_as_json_so_key_order_and_spacing_do_not_matter()
    {
        var current = Minimal();
        current.Input = Json("""{"a": 1, "b": {"c": [1, 2]}}""");
        var same = Minimal();
        same.Input = Json("""{"b":{"c":[1,2]},"a":1}""");
        var other = Minimal();
        other.Input = Json("""{"b":{"c":[2,1]},"a":1}""");

        Assert.Empty(Diff(current, same));
        Assert.Equal(["input"], Diff(current, other).Keys);
    }

    [Fact]
    public void A_field_without_default_that_the_file_leaves_out_is_left_as_the_job_has_it()
    {
        var current = Minimal();
        current.EndAt = "2027-01-01T00:00:00Z";

        Assert.Empty(Diff(current, Minimal()));

        var moved = Minimal();
        moved.EndAt = "2028-01-01T00:00:00Z";
        var change = Assert.Single(Diff(current, moved));
        Assert.Equal("end_at", change.Key);
    }

    [Fact]
    public void Start_at_now_matches_the_instant_the_job_already_has()
    {
        var current = Minimal();
        current.StartAt = "2026-02-01T00:00:00Z";
        var wanted = Minimal();
        wanted.StartAt = "now";

        Assert.Empty(Diff(current, wanted));
        // A job without start_at that the file now starts "now" does change.
        Assert.Equal(["start_at"], Diff(Minimal(), wanted).Keys);
    }

    [Fact]
    public void Fields_core_does_not_name_are_compared_when_listed_and_others_ignored()
    {
        // As the cron and failure-handling fields will be: present on both sides, listed by the contract.
        var current = Json("""{"cron":"0 * * * *","time_zone":"UTC","on_failure":{"event_type":"action","event_tag":"page"},"status":"paused"}""");
        var wanted = Json("""{"cron":"0 * * * *","time_zone":"Europe/Berlin","on_failure":{"event_tag":"page","event_type":"action"},"status":"active"}""");

        var changes = JobDiff.Compare(current, wanted, wanted, ["cron", "time_zone", "on_failure"]);

        var change = Assert.Single(changes);
        Assert.Equal("time_zone", change.Key);
        Assert.Equal("UTC", change.Value.Old!.Value.GetString());
        Assert.Equal("Europe/Berlin", change.Value.New!.Value.GetString());
    }

    [Fact]
    public void A_field_the_job_lacks_is_reported_with_a_null_old_value()
    {
        var changes = JobDiff.Compare(Json("{}"), Json("""{"jitter_ms":250}"""), Json("{}"), ["jitter_ms"]);

        Assert.Null(Assert.Single(changes).Value.Old);
        Assert.Contains("\"old\":null", JsonSerializer.Serialize(changes, MetronomeJson.Options));
    }

    [Fact]
    public void The_update_sets_exactly_the_changed_fields()
    {
        var wanted = Minimal();
        wanted.Executions = 9;
        wanted.Overlap = "allow";
        wanted.Input = Json("""{"k":"v"}""");

        var update = JobDiff.ToUpdate(Diff(Minimal(), wanted));

        Assert.Equal(9, update.Executions);
        Assert.Equal("allow", update.Overlap);
        Assert.Equal("v", update.Input!.Value.GetProperty("k").GetString());
        Assert.Null(update.Name);
        Assert.Null(update.Intervals);
        Assert.Null(update.Retries);
        Assert.Null(update.TimeoutMs);
    }
}
