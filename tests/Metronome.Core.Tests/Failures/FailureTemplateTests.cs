using System.Text.Json;
using Metronome.Core.Execution;
using Metronome.Core.Templates;

namespace Metronome.Core.Tests.Failures;

/// <summary><c>{{failed.*}}</c>: what an <c>on_failure</c> hook's templates see, and what they render elsewhere.</summary>
public sealed class FailureTemplateTests
{
    private static TemplateScope Scope(FailedRunInfo? failed) =>
        new(JsonDocument.Parse("{}").RootElement, "alerter", "Alerter", "run-hook", 7, DateTimeOffset.UnixEpoch, 1, new Dictionary<string, string>()) { Failed = failed };

    [Fact]
    public void Failed_values_render_in_text_and_keep_the_slot_a_number()
    {
        var scope = Scope(new FailedRunInfo("billing", 42, "failed", "HTTP 500", "r-1"));
        Assert.Equal("billing#42 failed: HTTP 500 (r-1)",
            TemplateRenderer.Render("{{failed.job_tag}}#{{failed.slot}} {{failed.status}}: {{failed.error}} ({{ failed.run_id }})", scope));
        var json = TemplateRenderer.RenderJson(JsonDocument.Parse("""{"slot":"{{failed.slot}}","job":"{{failed.job_tag}}"}""").RootElement, scope)!;
        Assert.Equal("""{"slot":42,"job":"billing"}""", json.ToJsonString());
    }

    [Fact]
    public void Failed_values_are_empty_outside_a_hook()
    {
        Assert.Equal("[]", TemplateRenderer.Render("[{{failed.job_tag}}{{failed.error}}]", Scope(null)));
    }

    [Fact]
    public void An_unknown_failed_field_is_a_validation_error()
    {
        var errors = new ValidationErrors();
        TemplateRenderer.ValidateString("{{failed.reason}}", "definition.body", errors);
        TemplateRenderer.ValidateString("{{failed.slot}}", "definition.url", errors);
        var e = Assert.Throws<ValidationFailedException>(errors.ThrowIfAny);
        Assert.Equal(["definition.body"], e.Errors.Keys);
        Assert.Contains("job_tag, slot, status, error and run_id", e.Errors["definition.body"][0]);
    }
}

/// <summary>The pure pause/resume rules of issue 14.</summary>
public sealed class PauseUntilTransitionTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    private static Core.Jobs.Job Job() => new()
    {
        Product = "shop", Tag = "t", Name = "t", EventType = "action", EventTag = "ping", IntervalMs = 1000, NextSlot = 1, NextDueAt = T0.AddSeconds(1),
    };

    [Fact]
    public void Pause_with_until_then_resume_at_until_follows_the_grid_and_clears_until()
    {
        var paused = Core.Scheduling.JobTransitions.Pause(Job(), T0, T0.AddSeconds(10));
        Assert.Equal((Core.Jobs.JobStatus.Paused, (DateTimeOffset?)T0.AddSeconds(10)), (paused.Status, paused.PausedUntil));
        Assert.Same(paused, Core.Scheduling.JobLedger.ResumeAt(paused, T0.AddSeconds(9.999)));

        var resumed = Core.Scheduling.JobLedger.ResumeAt(paused, T0.AddSeconds(10.5));
        Assert.Equal((Core.Jobs.JobStatus.Active, (DateTimeOffset?)null, 11L, T0.AddSeconds(11)),
            (resumed.Status, resumed.PausedUntil, resumed.NextSlot, resumed.NextDueAt));
    }

    [Fact]
    public void A_pause_without_until_makes_a_timed_pause_indefinite_and_a_job_paused_indefinitely_never_resumes_by_itself()
    {
        var timed = Core.Scheduling.JobTransitions.Pause(Job(), T0, T0.AddSeconds(10));
        var indefinite = Core.Scheduling.JobTransitions.Pause(timed, T0.AddSeconds(1));
        Assert.Null(indefinite.PausedUntil);
        Assert.Same(indefinite, Core.Scheduling.JobLedger.ResumeAt(indefinite, T0.AddDays(365)));
    }
}
