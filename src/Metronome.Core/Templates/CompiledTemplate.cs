using System.Collections.Concurrent;

namespace Metronome.Core.Templates;

/// <summary>The roots a placeholder may start with.</summary>
internal enum TemplateRoot { Input, Job, Run, Secrets, Failed }

/// <summary>A literal run of text, or a placeholder with its root and path (already checked when <see cref="Error"/> is null).</summary>
internal readonly record struct TemplateSegment(string? Literal, TemplateRoot Root, string[] Path)
{
    public bool IsLiteral => Literal is not null;
}

/// <summary>
/// A template parsed once: literal segments and placeholders. Parsing is a single left-to-right scan (no regex);
/// compiled templates are cached by their text in a bounded dictionary, because definitions are rendered on every run.
/// </summary>
internal sealed class CompiledTemplate
{
    private const int CacheCapacity = 4096;
    private static readonly ConcurrentDictionary<string, CompiledTemplate> Cache = new(StringComparer.Ordinal);

    private CompiledTemplate(TemplateSegment[] segments, string? error)
    {
        Segments = segments;
        Error = error;
    }

    public TemplateSegment[] Segments { get; }

    /// <summary>The first problem found (an unknown root, an unknown field), or null.</summary>
    public string? Error { get; }

    /// <summary>True when the template is exactly one placeholder and nothing else.</summary>
    public bool IsSinglePlaceholder => Segments.Length == 1 && !Segments[0].IsLiteral;

    public static bool HasPlaceholders(string text) => text.Contains("{{", StringComparison.Ordinal);

    public static CompiledTemplate Get(string text)
    {
        if (Cache.TryGetValue(text, out var cached)) return cached;
        var compiled = Parse(text);
        // Bounded: when full, templates still work, they are just parsed again next time.
        if (Cache.Count < CacheCapacity) Cache.TryAdd(text, compiled);
        return compiled;
    }

    private static CompiledTemplate Parse(string text)
    {
        var segments = new List<TemplateSegment>();
        string? error = null;
        var pos = 0;
        while (pos < text.Length)
        {
            var open = text.IndexOf("{{", pos, StringComparison.Ordinal);
            var close = open < 0 ? -1 : text.IndexOf("}}", open + 2, StringComparison.Ordinal);
            if (open < 0 || close < 0)
            {
                // An unclosed "{{" is plain text: there is no escaping syntax, so this keeps such strings usable.
                segments.Add(new TemplateSegment(text[pos..], default, []));
                break;
            }
            if (open > pos) segments.Add(new TemplateSegment(text[pos..open], default, []));
            var expression = text.AsSpan(open + 2, close - open - 2).Trim().ToString();
            var (segment, problem) = ParsePlaceholder(expression);
            error ??= problem;
            segments.Add(segment);
            pos = close + 2;
        }
        return new CompiledTemplate([.. segments], error);
    }

    private static (TemplateSegment Segment, string? Error) ParsePlaceholder(string expression)
    {
        if (!TrySplitPath(expression, out var parts) || parts.Count == 0)
            return (Invalid, $"'{{{{{expression}}}}}' is not a valid placeholder path.");
        var rest = parts.Skip(1).ToArray();
        switch (parts[0])
        {
            case "input":
                return (new TemplateSegment(null, TemplateRoot.Input, rest), null);
            case "job" when rest is ["tag"] or ["name"]:
                return (new TemplateSegment(null, TemplateRoot.Job, rest), null);
            case "run" when rest is ["id"] or ["slot"] or ["scheduled_at"] or ["attempt"]:
                return (new TemplateSegment(null, TemplateRoot.Run, rest), null);
            case "failed" when rest is ["job_tag"] or ["slot"] or ["status"] or ["error"] or ["run_id"]:
                return (new TemplateSegment(null, TemplateRoot.Failed, rest), null);
            case "failed":
                return (Invalid, $"'{{{{{expression}}}}}': failed has the fields job_tag, slot, status, error and run_id.");
            case "secrets" when rest.Length == 1:
                return (new TemplateSegment(null, TemplateRoot.Secrets, rest), null);
            case "job":
                return (Invalid, $"'{{{{{expression}}}}}': job has the fields tag and name.");
            case "run":
                return (Invalid, $"'{{{{{expression}}}}}': run has the fields id, slot, scheduled_at and attempt.");
            case "secrets":
                return (Invalid, $"'{{{{{expression}}}}}': write secrets.NAME.");
            default:
                return (Invalid, $"'{{{{{expression}}}}}': unknown root '{parts[0]}' (expected input, job, run, secrets or failed).");
        }
    }

    /// <summary>An invalid placeholder renders as the empty string (validation rejects it before it is ever run).</summary>
    private static TemplateSegment Invalid => new(null, (TemplateRoot)(-1), []);

    /// <summary>Splits <c>a.b[0].c</c> (or <c>a.b.0.c</c>) into <c>a, b, 0, c</c>.</summary>
    private static bool TrySplitPath(string expression, out List<string> parts)
    {
        parts = [];
        var span = expression.AsSpan();
        var i = 0;
        while (i < span.Length)
        {
            if (span[i] == '[')
            {
                var length = span[(i + 1)..].IndexOf(']');
                if (length < 0) return false;
                var index = span.Slice(i + 1, length).Trim();
                if (!int.TryParse(index, out var n) || n < 0) return false;
                parts.Add(index.ToString());
                i += length + 2;
            }
            else
            {
                var start = i;
                while (i < span.Length && span[i] is not ('.' or '[')) i++;
                var part = span[start..i].Trim();
                if (part.Length == 0) return false;
                parts.Add(part.ToString());
            }
            if (i < span.Length && span[i] == '.')
            {
                i++;
                if (i == span.Length) return false;
            }
            else if (i < span.Length && span[i] != '[') return false;
        }
        return true;
    }
}
