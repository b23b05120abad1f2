using System.Globalization;
using System.Text.Json;
using Metronome.Contracts;
using Spectre.Console;

namespace Metronome.Cli;

/// <summary>
/// Prints results: tables for people, or the wire JSON (<see cref="MetronomeJson.Options"/>, indented) with <c>--json</c>.
/// Lists print as a JSON array, so <c>jq '.[].tag'</c> works.
/// </summary>
internal sealed partial class Renderer(CliConsole console, bool json)
{
    private static readonly JsonSerializerOptions Indented = new(MetronomeJson.Options) { WriteIndented = true };
    private static readonly JsonSerializerOptions Compact = MetronomeJson.Options;

    public bool Json => json;

    public void Job(ProductJob job)
    {
        if (json) { WriteJson(job); return; }
        var grid = Pairs(
            ("tag", job.Tag), ("name", job.Name), ("event", $"{job.EventType}:{job.EventTag}"), ("status", job.Status),
            ("executions", Progress(job)), ("intervals", Durations.Format(job.Intervals)), ("next run", Time(job.NextRunAt)),
            ("last run", job.LastRunAt is null ? "" : $"{Time(job.LastRunAt)} ({job.LastRunStatus})"),
            ("start at", job.StartAt), ("end at", job.EndAt), ("overlap", job.Overlap), ("misfire", job.Misfire),
            ("retries", job.Retries is { } r ? $"{r.MaxAttempts} attempt(s), backoff {Durations.Format(r.BackoffMs)}" : null),
            ("timeout", Durations.Format(job.TimeoutMs)),
            ("input", job.Input is { } i && i.ValueKind != JsonValueKind.Undefined ? i.GetRawText() : null),
            ("created", Time(job.CreatedAt)), ("updated", Time(job.UpdatedAt)));
        Console().Write(grid);
    }

    public void Jobs(IReadOnlyList<ProductJob> jobs)
    {
        if (json) { WriteJson(jobs); return; }
        var table = Table("TAG", "NAME", "EVENT", "STATUS", "EXECUTIONS", "INTERVAL", "NEXT RUN");
        foreach (var j in jobs)
            table.AddRow(Cells(j.Tag, j.Name, $"{j.EventType}:{j.EventTag}", j.Status, Progress(j), Durations.Format(j.Intervals), Time(j.NextRunAt)));
        Write(table, jobs.Count, "job");
    }

    public void Run(JobRun run)
    {
        if (json) { WriteJson(run); return; }
        Console().Write(Pairs(("id", run.Id), ("job", run.JobTag), ("slot", Slots(run)), ("attempt", run.Attempt.ToString(CultureInfo.InvariantCulture)),
            ("status", run.Status), ("scheduled", Time(run.ScheduledAt)), ("started", Time(run.StartedAt)), ("finished", Time(run.FinishedAt)),
            ("duration", Durations.Format(run.DurationMs)), ("node", run.Node), ("error", Error(run)),
            ("output", run.Output is { } o && o.ValueKind != JsonValueKind.Undefined ? o.GetRawText() : null)));
    }

    public void Runs(IReadOnlyList<JobRun> runs)
    {
        if (json) { WriteJson(runs); return; }
        var table = Table("ID", "SLOT", "ATTEMPT", "STATUS", "SCHEDULED", "DURATION", "ERROR");
        foreach (var r in runs)
            table.AddRow(Cells(r.Id, Slots(r), r.Attempt.ToString(CultureInfo.InvariantCulture), r.Status, Time(r.ScheduledAt), Durations.Format(r.DurationMs), Error(r)));
        Write(table, runs.Count, "run");
    }

    /// <summary>One line per run for <c>runs --follow</c>: a JSON object per line with <c>--json</c>.</summary>
    public void RunLine(JobRun r)
    {
        if (json) { console.Out.WriteLine(JsonSerializer.Serialize(r, Compact)); return; }
        var error = Error(r);
        console.Out.WriteLine(string.Join("  ", new[]
        {
            Time(r.ScheduledAt), $"slot {Slots(r)}", $"attempt {r.Attempt}", r.Status ?? "", Durations.Format(r.DurationMs), r.Id ?? "", error ?? "",
        }.Where(s => s.Length > 0)));
    }

    public void Event(ProductEvent ev)
    {
        if (json) { WriteJson(ev); return; }
        Console().Write(Pairs(("type", ev.Type), ("tag", ev.Tag), ("name", ev.Name),
            ("definition", ev.Definition?.GetRawText()), ("created", Time(ev.CreatedAt)), ("updated", Time(ev.UpdatedAt))));
    }

    public void Events(IReadOnlyList<ProductEvent> events)
    {
        if (json) { WriteJson(events); return; }
        var table = Table("TYPE", "TAG", "NAME", "UPDATED");
        foreach (var e in events) table.AddRow(Cells(e.Type, e.Tag, e.Name, Time(e.UpdatedAt)));
        Write(table, events.Count, "event");
    }

    public void Product(Product p)
    {
        if (json) { WriteJson(p); return; }
        Console().Write(Pairs(("tag", p.Tag), ("name", p.Name), ("description", p.Description), ("created", Time(p.CreatedAt)), ("updated", Time(p.UpdatedAt))));
    }

    public void Products(IReadOnlyList<Product> products)
    {
        if (json) { WriteJson(products); return; }
        var table = Table("TAG", "NAME", "DESCRIPTION", "CREATED");
        foreach (var p in products) table.AddRow(Cells(p.Tag, p.Name, p.Description, Time(p.CreatedAt)));
        Write(table, products.Count, "product");
    }

    public void Key(ProductKey key)
    {
        if (json) { WriteJson(key); return; }
        console.Out.WriteLine($"Key {key.Id} (shown once, keep it safe):");
        console.Out.WriteLine(key.Key);
    }

    /// <summary>A confirmation for people; with <c>--json</c> nothing (the exit code says it all).</summary>
    public void Done(string message)
    {
        if (!json) console.Out.WriteLine(message);
    }

    private void WriteJson<T>(T value) => console.Out.WriteLine(JsonSerializer.Serialize(value, Indented));

    private void Write(Table table, int count, string noun)
    {
        if (count == 0) { console.Out.WriteLine($"No {noun}s."); return; }
        Console().Write(table);
    }

    private IAnsiConsole Console()
    {
        var ansi = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = console.OutIsTerminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = console.OutIsTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(console.Out),
        });
        // Redirected output has no width; tables are for people, but keep lines long enough not to wrap ids.
        if (!console.OutIsTerminal) ansi.Profile.Width = 200;
        return ansi;
    }

    private static Table Table(params string[] headers)
    {
        var table = new Table().Border(TableBorder.Simple);
        foreach (var h in headers) table.AddColumn(new TableColumn(h).NoWrap());
        return table;
    }

    private static Grid Pairs(params (string Key, string? Value)[] pairs)
    {
        var grid = new Grid().AddColumn(new GridColumn().NoWrap().PadRight(2)).AddColumn();
        foreach (var (key, value) in pairs)
            if (!string.IsNullOrEmpty(value)) grid.AddRow(new Text(key), new Text(value));
        return grid;
    }

    private static Text[] Cells(params string?[] values) => [.. values.Select(v => new Text(v ?? ""))];

    private static string Progress(ProductJob j) => $"{j.ExecutionsDone ?? 0}/{(j.Executions is 0 ? "∞" : j.Executions?.ToString(CultureInfo.InvariantCulture))}";

    private static string Slot(long slot) => slot == 0 ? "trigger" : slot.ToString(CultureInfo.InvariantCulture);

    /// <summary>The slot, or the range of slots an aggregated skipped run stands for (<c>5-9</c>).</summary>
    private static string Slots(JobRun r) =>
        r.SkippedCount is long n and > 1 ? string.Create(CultureInfo.InvariantCulture, $"{r.Slot}-{r.Slot + n - 1}") : Slot(r.Slot);

    private static string? Error(JobRun r) => r.Error is { } e ? $"{e.Kind}: {e.Message}" : null;

    private static string Time(DateTimeOffset? t) => t?.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture) ?? "";
}
