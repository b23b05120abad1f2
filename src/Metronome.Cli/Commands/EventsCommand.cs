using System.CommandLine;
using System.Text.Json;
using Metronome.Contracts;

namespace Metronome.Cli.Commands;

/// <summary><c>metronome events create|get|list|delete</c>; a definition is read from a JSON file or stdin.</summary>
internal static class EventsCommand
{
    public static Command Build(GlobalOptions globals, CliConsole console)
    {
        var events = new Command("events", "Manage the events jobs execute");

        var create = new Command("create", "Create an event from JSON {type, tag, name, definition} in --file, or on stdin");
        var product = GlobalOptions.Product();
        var file = new Option<FileInfo?>("--file", "-f") { Description = "JSON file with the event ('-' or none: stdin)" };
        create.Options.Add(product);
        create.Options.Add(file);
        CommandRun.Bind(create, globals, console, async (run, ct) =>
        {
            var source = run.Result.GetValue(file);
            var ev = ReadEvent(source is null || source.Name == "-" ? await console.In.ReadToEndAsync(ct) : await ReadFileAsync(source, ct),
                source?.Name ?? "stdin");
            run.Render.Event(await run.Client.Product(run.Product(product)).Events.CreateAsync(ev, ct));
        });
        events.Subcommands.Add(create);

        var get = new Command("get", "Show one event");
        var getProduct = GlobalOptions.Product();
        var (type, tag) = TypeAndTag(get);
        get.Options.Add(getProduct);
        CommandRun.Bind(get, globals, console, async (run, ct) =>
            run.Render.Event(await run.Client.Product(run.Product(getProduct)).Events.FetchAsync(run.Result.GetValue(type)!, run.Result.GetValue(tag)!, ct)));
        events.Subcommands.Add(get);

        var list = new Command("list", "List the events of a product");
        var listProduct = GlobalOptions.Product();
        var typeFilter = new Option<string?>("--type") { Description = "Only events of this type" };
        list.Options.Add(listProduct);
        list.Options.Add(typeFilter);
        CommandRun.Bind(list, globals, console, async (run, ct) =>
            run.Render.Events(await run.Client.Product(run.Product(listProduct)).Events.FetchAllAsync(run.Result.GetValue(typeFilter), ct)));
        events.Subcommands.Add(list);

        var delete = new Command("delete", "Delete an event (refused while jobs use it, unless --force pauses them)");
        var deleteProduct = GlobalOptions.Product();
        var (deleteType, deleteTag) = TypeAndTag(delete);
        var force = new Option<bool>("--force") { Description = "Delete even if jobs use it; those jobs are paused" };
        delete.Options.Add(deleteProduct);
        delete.Options.Add(force);
        CommandRun.Bind(delete, globals, console, async (run, ct) =>
        {
            var (t, g) = (run.Result.GetValue(deleteType)!, run.Result.GetValue(deleteTag)!);
            await run.Client.Product(run.Product(deleteProduct)).Events.DeleteAsync(t, g, run.Result.GetValue(force), ct);
            run.Render.Done($"Deleted {t} event '{g}'.");
        });
        events.Subcommands.Add(delete);
        return events;
    }

    private static (Argument<string> Type, Argument<string> Tag) TypeAndTag(Command command)
    {
        var type = new Argument<string>("type") { Description = $"Event type: {string.Join(", ", JobEventTypes.All)}" };
        var tag = new Argument<string>("tag") { Description = "The event's tag" };
        command.Arguments.Add(type);
        command.Arguments.Add(tag);
        return (type, tag);
    }

    private static async Task<string> ReadFileAsync(FileInfo file, CancellationToken ct)
    {
        if (!file.Exists) throw new CliUsageException($"--file '{file.FullName}' does not exist");
        return await File.ReadAllTextAsync(file.FullName, ct);
    }

    /// <summary>Strict like the server: an unknown field is named here instead of being sent.</summary>
    internal static ProductEvent ReadEvent(string json, string source)
    {
        if (string.IsNullOrWhiteSpace(json)) throw new CliUsageException($"no event JSON in {source} (expected {{\"type\", \"tag\", \"name\", \"definition\"}})");
        try
        {
            return JsonSerializer.Deserialize<ProductEvent>(json, MetronomeJson.Options)
                ?? throw new CliUsageException($"{source} must hold a JSON object");
        }
        catch (JsonException e)
        {
            throw new CliUsageException($"{source} is not a valid event: {e.Message.Split(" Path:")[0]}");
        }
    }
}
