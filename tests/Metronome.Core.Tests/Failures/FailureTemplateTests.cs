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
