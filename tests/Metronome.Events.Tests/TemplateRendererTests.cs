using System.Text.Json;
using System.Text.Json.Nodes;
using Metronome.Core;
using Metronome.Core.Templates;

namespace Metronome.Events.Tests;

public sealed class TemplateRendererTests
{
    private static readonly TemplateScope Scope = new(
        JsonDocument.Parse("""
            {"who": "Ada", "n": 3, "ok": true, "none": null, "user": {"name": "Grace", "tags": ["a", "b"]},
             "items": [{"id": 10}, {"id": 20}]}
            """).RootElement.Clone(),
        "nightly", "Nightly sync", "run-1", 42, new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero), 2,
        new Dictionary<string, string> { ["TOKEN"] = "s3cret" });

    [Theory]
    [InlineData("plain text", "plain text")]
    [InlineData("Hello {{input.who}}!", "Hello Ada!")]
    [InlineData("{{ input.who }}", "Ada")]
    [InlineData("{{input.user.name}}", "Grace")]
    [InlineData("{{input.user.tags[1]}}", "b")]
    [InlineData("{{input.user.tags.0}}", "a")]
    [InlineData("{{input.items[1].id}}", "20")]
    [InlineData("n={{input.n}} ok={{input.ok}}", "n=3 ok=true")]
    [InlineData("{{input.user.tags}}", """["a","b"]""")]
    [InlineData("[{{input.none}}]", "[]")]
    [InlineData("[{{input.missing}}]", "[]")]
    [InlineData("[{{input.user.missing.deeper}}]", "[]")]
    [InlineData("[{{input.items[9].id}}]", "[]")]
    [InlineData("{{job.tag}}/{{job.name}}", "nightly/Nightly sync")]
    [InlineData("{{run.id}} {{run.slot}} {{run.attempt}}", "run-1 42 2")]
    [InlineData("{{run.scheduled_at}}", "2025-01-02T03:04:05Z")]
    [InlineData("Bearer {{secrets.TOKEN}}", "Bearer s3cret")]
    [InlineData("[{{secrets.UNKNOWN}}]", "[]")]
    [InlineData("unclosed {{input.who", "unclosed {{input.who")]
    public void Render_replaces_each_placeholder(string template, string expected) =>
        Assert.Equal(expected, TemplateRenderer.Render(template, Scope));

    [Fact]
    public void Render_of_the_same_template_twice_gives_the_same_text()
    {
        const string template = "{{job.tag}}-{{run.slot}}";
        Assert.Equal(TemplateRenderer.Render(template, Scope), TemplateRenderer.Render(template, Scope));
    }

    [Fact]
    public void RenderJson_renders_every_string_recursively_and_keeps_types_of_single_placeholders()
    {
        var definition = JsonDocument.Parse("""
            {"url": "https://x.example/{{job.tag}}", "headers": {"Authorization": "Bearer {{secrets.TOKEN}}"},
             "body": {"n": "{{input.n}}", "ok": "{{input.ok}}", "user": "{{input.user}}", "none": "{{input.none}}",
                      "slot": "{{run.slot}}", "text": "slot {{run.slot}}", "missing": "{{input.missing}}",
                      "list": ["{{input.who}}", 7, false, null], "{{input.who}}": "key not rendered"},
             "timeout_ms": 500}
            """).RootElement;

        var rendered = TemplateRenderer.RenderJson(definition, Scope)!;

        var expected = JsonNode.Parse("""
            {"url": "https://x.example/nightly", "headers": {"Authorization": "Bearer s3cret"},
             "body": {"n": 3, "ok": true, "user": {"name": "Grace", "tags": ["a", "b"]}, "none": null,
                      "slot": 42, "text": "slot 42", "missing": "",
                      "list": ["Ada", 7, false, null], "{{input.who}}": "key not rendered"},
             "timeout_ms": 500}
            """);
        Assert.True(JsonNode.DeepEquals(expected, rendered), rendered.ToJsonString());
    }

    [Fact]
    public void RenderElement_returns_a_detached_element()
    {
        var element = TemplateRenderer.RenderElement(JsonDocument.Parse("""{"a": "{{run.attempt}}"}""").RootElement, Scope);
        Assert.Equal(2, element.GetProperty("a").GetInt32());
    }

    [Theory]
    [InlineData("""{"body": {"x": "{{user.name}}"}}""", "definition.body.x")]
    [InlineData("""{"url": "https://x/{{job.id}}"}""", "definition.url")]
    [InlineData("""{"headers": {"A": "{{run.nope}}"}}""", "definition.headers.A")]
    [InlineData("""{"to": ["ok", "{{secrets}}"]}""", "definition.to[1]")]
    [InlineData("""{"x": "{{}}"}""", "definition.x")]
    [InlineData("""{"x": "{{input..a}}"}""", "definition.x")]
    public void Validate_names_the_field_of_a_bad_placeholder(string definition, string field)
    {
        var errors = new ValidationErrors();
        TemplateRenderer.Validate(JsonDocument.Parse(definition).RootElement, "definition", errors);

        var failure = Assert.Throws<ValidationFailedException>(errors.ThrowIfAny);
        Assert.Equal([field], failure.Errors.Keys);
    }

    [Fact]
    public void Validate_accepts_every_known_root()
    {
        var errors = new ValidationErrors();
        var definition = JsonDocument.Parse("""
            {"a": "{{input}} {{input.a.b[0]}} {{job.tag}} {{job.name}}",
             "b": ["{{run.id}} {{run.slot}} {{run.scheduled_at}} {{run.attempt}} {{secrets.X}}"], "c": 1}
            """).RootElement;

        TemplateRenderer.Validate(definition, "definition", errors);

        Assert.True(errors.IsEmpty);
    }
}
