using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Metronome.Core.Templates;

namespace Metronome.Benchmarks;

/// <summary>Rendering of event definitions with <c>{{...}}</c> templates, as every executor does once per attempt.</summary>
[MemoryDiagnoser]
public class TemplateBenchmarks
{
    private TemplateScope _scope = null!;
    private JsonDocument _definition = null!;
    private const string Url = "https://billing.example/api/{{input.customer.id}}/ping?slot={{run.slot}}";

    [GlobalSetup]
    public void Setup()
    {
        using var input = JsonDocument.Parse("""{"customer":{"id":"c-123","name":"Ada"},"note":"hello"}""");
        _scope = new TemplateScope(input.RootElement.Clone(), "nightly", "Nightly", "0195f3a2b4c67000a1b2c3d4e5f60718", 17,
            new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero), 1, new Dictionary<string, string> { ["TOKEN"] = "s3cr3t" });
        _definition = JsonDocument.Parse("""
            {"method":"POST","url":"https://billing.example/api/ping","headers":{"X-Token":"{{secrets.TOKEN}}"},
             "query":{"source":"metronome"},"body":{"job":"{{job.tag}}","slot":"{{run.slot}}","who":"{{input.customer.name}}"},"timeout_ms":5000}
            """);
    }

    [Benchmark(Description = "Render string with 2 placeholders")]
    public string RenderString() => TemplateRenderer.Render(Url, _scope);

    [Benchmark(Description = "Render string without placeholders")]
    public string RenderLiteral() => TemplateRenderer.Render("https://billing.example/api/ping", _scope);

    [Benchmark(Description = "Render action definition (4 placeholders)")]
    public JsonElement RenderDefinition() => TemplateRenderer.RenderElement(_definition.RootElement, _scope);
}
