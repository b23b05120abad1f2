using System.Text.Json;
using System.Text.RegularExpressions;

namespace Metronome.Server.Tests.Docs;

/// <summary>
/// One fenced <c>```json</c> block of a page in docs/, with the marker before it: <c>&lt;!-- example: event --&gt;</c>
/// (an event to create), <c>&lt;!-- example: job --&gt;</c> (a job to create), <c>&lt;!-- example: job runs here --&gt;</c>
/// (a job to create and run once) or <c>&lt;!-- example: output --&gt;</c> (JSON the server answers, only parsed).
/// </summary>
internal sealed record DocExample(string Page, int Line, string Kind, bool RunsHere, string Json)
{
    public JsonElement Parse() => JsonDocument.Parse(Json).RootElement.Clone();

    public string Property(string name) => Parse().TryGetProperty(name, out var value) ? value.ToString() : "";

    public override string ToString() => $"{Page}:{Line} ({Kind})";
}

internal static partial class DocPages
{
    [GeneratedRegex(@"^<!-- example: (event|job|output)( runs here)? -->$")]
    private static partial Regex Marker();

    public static string Path(string page)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "docs", page);
            if (File.Exists(candidate)) return candidate;
        }
        throw new InvalidOperationException($"docs/{page} not found above {AppContext.BaseDirectory}");
    }

    /// <summary>
    /// Every <c>```json</c> block of <paramref name="page"/>; a block without a marker on the line before it (blank
    /// lines aside) is an error, so that no JSON example of the page escapes the test.
    /// </summary>
    public static IReadOnlyList<DocExample> Read(string page)
    {
        var lines = File.ReadAllLines(Path(page));
        var examples = new List<DocExample>();
        string? marker = null;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (Marker().Match(line) is { Success: true } m) { marker = m.Value; continue; }
            if (line.StartsWith("```json", StringComparison.Ordinal))
            {
                var match = marker is null ? null : Marker().Match(marker);
                if (match is null) throw new InvalidOperationException($"docs/{page}:{i + 1}: a ```json block without an <!-- example: ... --> marker");
                var start = i + 1;
                var body = new List<string>();
                for (i++; i < lines.Length && lines[i].Trim() != "```"; i++) body.Add(lines[i]);
                examples.Add(new DocExample(page, start, match.Groups[1].Value, match.Groups[2].Success, string.Join("\n", body)));
                marker = null;
                continue;
            }
            if (line.Length > 0 && !line.StartsWith("```", StringComparison.Ordinal)) marker = null;
        }
        return examples;
    }
}
