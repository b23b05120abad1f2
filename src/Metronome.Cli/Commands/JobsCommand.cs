using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.Json;
using Metronome.Contracts;

namespace Metronome.Cli.Commands;

/// <summary><c>metronome jobs create|update|get|list|delete|pause|resume|trigger|runs|backfill</c>.</summary>
internal static class JobsCommand
{
    public static Command Build(GlobalOptions globals, CliConsole console)
    {
        var jobs = new Command("jobs", "Create, change, inspect and run jobs of a product");
        jobs.Subcommands.Add(Create(globals, console));
        jobs.Subcommands.Add(Update(globals, console));
        jobs.Subcommands.Add(Get(globals, console));
        jobs.Subcommands.Add(List(globals, console));
        jobs.Subcommands.Add(Simple("delete", "Delete a job (no execution starts afterwards)", globals, console,
            async (j, tag, run, ct) => { await j.DeleteAsync(tag, ct); run.Render.Done($"Deleted job '{tag}'."); }));
        jobs.Subcommands.Add(Pause(globals, console));
        jobs.Subcommands.Add(Simple("resume", "Resume a paused job at the next grid point", globals, console, async (j, tag, run, ct) => run.Render.Job(await j.ResumeAsync(tag, ct))));
        jobs.Subcommands.Add(Simple("trigger", "Run a job once now, outside its grid", globals, console, async (j, tag, run, ct) => run.Render.Run(await j.TriggerAsync(tag, ct))));
        jobs.Subcommands.Add(Runs(globals, console));
        jobs.Subcommands.Add(JobsBackfillCommand.Build(globals, console));
        return jobs;
    }

    /// <summary>Options that describe a job, shared by create (some required) and update (all optional).</summary>
    private sealed class JobOptions
    {
        public Option<string?> Product { get; } = GlobalOptions.Product();
        public Option<string?> Name { get; } = new("--name") { Description = "Human-readable name (create: defaults to the tag)" };
        public Option<EventRef?> Event { get; } = new("--event") { Description = "Event to execute, as type:tag (e.g. action:action_tag)", CustomParser = EventRef.Parse };
        public Option<long?> Executions { get; } = new("--executions") { Description = "How many times to execute; 0 = unlimited" };
        public Option<long?> Intervals { get; } = new("--intervals") { Description = "Time between executions: 300ms, 60s, 5m, 1h30m or milliseconds", CustomParser = ParseDuration };
        public Option<string?> StartAt { get; } = new("--start-at") { Description = "First execution: ISO-8601 instant or 'now'" };
        public Option<string?> EndAt { get; } = new("--end-at") { Description = "No execution starts after this ISO-8601 instant" };
        public Option<JsonElement?> Input { get; } = new("--input") { Description = "JSON object handed to the event", CustomParser = ParseJsonObject };
        public Option<string?> Overlap { get; } = new("--overlap") { Description = "skip (default), queue or allow" };
        public Option<string?> Misfire { get; } = new("--misfire") { Description = "fire_once (default), skip or catch_up" };
        public Option<int?> MaxAttempts { get; } = new("--max-attempts") { Description = "Attempts per slot (retries + 1)" };
        public Option<long?> Backoff { get; } = new("--backoff") { Description = "Delay before the first retry (duration)", CustomParser = ParseDuration };
        public Option<long?> Timeout { get; } = new("--timeout") { Description = "Attempt timeout (duration)", CustomParser = ParseDuration };
        // failure handling (issue 14)
        public Option<EventRef?> OnFailure { get; } = new("--on-failure")
        {
            Description = "Event run once per slot that ends without success, as type:tag (update: 'none' removes it)", CustomParser = ParseOnFailure,
        };
        public Option<int?> PauseAfterFailures { get; } = new("--pause-after-failures") { Description = "Pause the job after N consecutive failed slots; 0 = never" };
        // cron schedules
        public Option<string?> Cron { get; } = new("--cron") { Description = "Cron expression instead of --intervals, e.g. '0 9 * * 1-5', '*/10 * * * * *' or @daily" };
        public Option<string?> TimeZone { get; } = new("--tz") { Description = "IANA time zone the cron expression is read in (default UTC), e.g. Europe/Berlin" };
        public Option<long?> Jitter { get; } = new("--jitter") { Description = "Start each slot up to this long after its due time (duration)", CustomParser = ParseDuration };
        public Option<int?> CatchUpLimit { get; } = new("--catch-up-limit") { Description = "With --misfire catch_up, at most this many missed slots run (default 100)" };

        public void AddTo(Command command)
        {
            foreach (var o in (Option[])[Product, Name, Event, Executions, Intervals, StartAt, EndAt, Input, Overlap, Misfire, MaxAttempts, Backoff, Timeout,
                         OnFailure, PauseAfterFailures,
                         Cron, TimeZone, Jitter, CatchUpLimit])
                command.Options.Add(o);
        }

        /// <summary>The <c>on_failure</c> to send: absent when not given, <c>{}</c> (removes the hook) for <c>none</c>.</summary>
        public JobEventRef? FailureHook(ParseResult r) => r.GetValue(OnFailure) is { } h
            ? h == EventRef.None ? new JobEventRef() : new JobEventRef { EventType = h.Type, EventTag = h.Tag }
            : null;

        public RetryOptions? Retries(ParseResult r) =>
            r.GetValue(MaxAttempts) is null && r.GetValue(Backoff) is null ? null
                : new RetryOptions { MaxAttempts = r.GetValue(MaxAttempts), BackoffMs = r.GetValue(Backoff) };
    }

    private static Command Create(GlobalOptions globals, CliConsole console)
    {
        var command = new Command("create", "Create a job, e.g. --tag from-cli --event action:action_tag --executions 2 --intervals 300ms (or --cron '0 9 * * 1-5' --tz Europe/Berlin)");
        var o = new JobOptions();
        var tag = new Option<string>("--tag") { Description = "Unique tag of the job in its product", Required = true };
        command.Options.Add(tag);
        o.AddTo(command);
        o.Event.Required = true;
        o.Executions.Required = true;
        o.Intervals.Description += " (or --cron: exactly one of the two)";
        CommandRun.Bind(command, globals, console, async (run, ct) =>
        {
            var r = run.Result;
            var ev = r.GetValue(o.Event)!;
            var job = new ProductJob
            {
                Tag = r.GetValue(tag), Name = r.GetValue(o.Name) ?? r.GetValue(tag), EventType = ev.Type, EventTag = ev.Tag,
                Executions = r.GetValue(o.Executions), Intervals = r.GetValue(o.Intervals), StartAt = r.GetValue(o.StartAt), EndAt = r.GetValue(o.EndAt),
                Input = r.GetValue(o.Input), Overlap = r.GetValue(o.Overlap), Misfire = r.GetValue(o.Misfire), Retries = o.Retries(r), TimeoutMs = r.GetValue(o.Timeout),
                OnFailure = o.FailureHook(r), PauseAfterFailures = r.GetValue(o.PauseAfterFailures),
                Cron = r.GetValue(o.Cron), TimeZone = r.GetValue(o.TimeZone), JitterMs = r.GetValue(o.Jitter), CatchUpLimit = r.GetValue(o.CatchUpLimit),
            };
            run.Render.Job(await run.Client.Product(run.Product(o.Product)).Jobs.CreateAsync(job, ct));
        });
        return command;
    }

    private static Command Update(GlobalOptions globals, CliConsole console)
    {
        var command = new Command("update", "Change the given fields of a job; takes effect at once");
        var tag = new Argument<string>("tag") { Description = "The job's tag" };
        command.Arguments.Add(tag);
        var o = new JobOptions();
        o.AddTo(command);
        CommandRun.Bind(command, globals, console, async (run, ct) =>
        {
            var r = run.Result;
            var ev = r.GetValue(o.Event);
            var update = new ProductJobUpdate
            {
                Name = r.GetValue(o.Name), EventType = ev?.Type, EventTag = ev?.Tag, Executions = r.GetValue(o.Executions), Intervals = r.GetValue(o.Intervals),
                StartAt = r.GetValue(o.StartAt), EndAt = r.GetValue(o.EndAt), Input = r.GetValue(o.Input), Overlap = r.GetValue(o.Overlap),
                Misfire = r.GetValue(o.Misfire), Retries = o.Retries(r), TimeoutMs = r.GetValue(o.Timeout),
                OnFailure = o.FailureHook(r), PauseAfterFailures = r.GetValue(o.PauseAfterFailures),
                Cron = r.GetValue(o.Cron), TimeZone = r.GetValue(o.TimeZone), JitterMs = r.GetValue(o.Jitter), CatchUpLimit = r.GetValue(o.CatchUpLimit),
            };
            run.Render.Job(await run.Client.Product(run.Product(o.Product)).Jobs.UpdateAsync(r.GetValue(tag)!, update, ct));
        });
        return command;
    }

    private static Command Pause(GlobalOptions globals, CliConsole console)
    {
        var command = new Command("pause", "Pause a job; with --until it resumes by itself at that instant");
        var tag = new Argument<string>("tag") { Description = "The job's tag" };
        var product = GlobalOptions.Product();
        var until = new Option<DateTimeOffset?>("--until") { Description = "Resume by itself at this ISO-8601 instant (in the future)", CustomParser = ParseInstant };
        command.Arguments.Add(tag);
        command.Options.Add(product);
        command.Options.Add(until);
        CommandRun.Bind(command, globals, console, async (run, ct) =>
        {
            var jobs = run.Client.Product(run.Product(product)).Jobs;
            var name = run.Result.GetValue(tag)!;
            run.Render.Job(run.Result.GetValue(until) is { } at ? await jobs.PauseAsync(name, at, ct) : await jobs.PauseAsync(name, ct));
        });
        return command;
    }

    private static DateTimeOffset? ParseInstant(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal, out var at))
            return at;
        result.AddError($"--until must be an ISO-8601 instant (e.g. 2030-01-01T00:00:00Z), not '{text}'.");
        return null;
    }

    private static EventRef? ParseOnFailure(ArgumentResult result) =>
        result.Tokens is [{ Value: "none" }] ? EventRef.None : EventRef.Parse(result, "--on-failure");

    private static Command Get(GlobalOptions globals, CliConsole console) =>
        Simple("get", "Show one job", globals, console, async (j, tag, run, ct) => run.Render.Job(await j.FetchAsync(tag, ct)));

    private static Command List(GlobalOptions globals, CliConsole console)
    {
        var command = new Command("list", "List the jobs of a product");
        var product = GlobalOptions.Product();
        var status = new Option<string?>("--status") { Description = "Only jobs of this status" };
        status.AcceptOnlyFromAmong(JobStatuses.Active, JobStatuses.Paused, JobStatuses.Completed);
        command.Options.Add(product);
        command.Options.Add(status);
        CommandRun.Bind(command, globals, console, async (run, ct) =>
        {
            var jobs = run.Client.Product(run.Product(product)).Jobs;
            var wanted = run.Result.GetValue(status);
            var all = wanted is null
                ? await jobs.FetchAllAsync(ct)
                : await Paging.AllAsync(cursor => jobs.ListAsync(wanted, Paging.MaxLimit, cursor, ct));
            run.Render.Jobs(all);
        });
        return command;
    }

    private static Command Runs(GlobalOptions globals, CliConsole console)
    {
        var command = new Command("runs", "Show a job's runs, newest first; --follow prints new runs as they happen until Ctrl+C");
        var tag = new Argument<string>("tag") { Description = "The job's tag" };
        var product = GlobalOptions.Product();
        var status = new Option<string?>("--status") { Description = "Only runs of this status" };
        var limit = new Option<int>("--limit") { Description = "How many runs to show (1-1000)", DefaultValueFactory = _ => 20 };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new runs (and status changes) until Ctrl+C" };
        command.Arguments.Add(tag);
        foreach (var o in (Option[])[product, status, limit, follow]) command.Options.Add(o);
        CommandRun.Bind(command, globals, console, async (run, ct) =>
        {
            var jobs = run.Client.Product(run.Product(product)).Jobs;
            var r = run.Result;
            if (r.GetValue(follow)) await RunsFollower.FollowAsync(jobs, r.GetValue(tag)!, r.GetValue(status), r.GetValue(limit), run.Render, console, ct);
            else run.Render.Runs((await jobs.ListRunsAsync(r.GetValue(tag)!, r.GetValue(status), r.GetValue(limit), null, ct)).Items);
        });
        return command;
    }

    /// <summary>A command of the form <c>jobs VERB TAG --product P</c>.</summary>
    private static Command Simple(string name, string description, GlobalOptions globals, CliConsole console,
        Func<IProductJobs, string, CommandRun, CancellationToken, Task> action)
    {
        var command = new Command(name, description);
        var tag = new Argument<string>("tag") { Description = "The job's tag" };
        var product = GlobalOptions.Product();
        command.Arguments.Add(tag);
        command.Options.Add(product);
        CommandRun.Bind(command, globals, console, (run, ct) =>
            action(run.Client.Product(run.Product(product)).Jobs, run.Result.GetValue(tag)!, run, ct));
        return command;
    }

    internal static long? ParseDuration(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : null;
        var ms = Durations.TryParseMs(text);
        if (ms is null) result.AddError($"'{text}' is not a duration ({Durations.Hint}).");
        return ms;
    }

    private static JsonElement? ParseJsonObject(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind == JsonValueKind.Object) return doc.RootElement.Clone();
        }
        catch (JsonException) { }
        result.AddError($"--input must be a JSON object, e.g. '{{\"who\":\"ops\"}}', not '{text}'.");
        return null;
    }
}

/// <summary>An event reference written <c>type:tag</c> (the type as in the seed, any case).</summary>
internal sealed record EventRef(string Type, string Tag)
{
    /// <summary><c>--on-failure none</c>: remove the hook.</summary>
    public static EventRef None { get; } = new("", "");

    public static EventRef? Parse(ArgumentResult result) => Parse(result, "--event");

    public static EventRef? Parse(ArgumentResult result, string option)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        var colon = text.IndexOf(':');
        var type = colon > 0 ? JobEventTypes.Normalize(text[..colon]) : null;
        if (type is null || colon == text.Length - 1)
        {
            result.AddError($"{option} must be type:tag with type one of {string.Join(", ", JobEventTypes.All)} (e.g. action:action_tag), not '{text}'.");
            return null;
        }
        return new EventRef(type, text[(colon + 1)..]);
    }
}
