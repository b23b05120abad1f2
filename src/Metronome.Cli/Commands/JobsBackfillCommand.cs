using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Metronome.Cli.Commands;

/// <summary><c>metronome jobs backfill TAG --from INSTANT --to INSTANT</c>: runs the job's grid slots in the range that have no run.</summary>
internal static class JobsBackfillCommand
{
    public static Command Build(GlobalOptions globals, CliConsole console)
    {
        var command = new Command("backfill",
            "Run the job's grid slots due in [--from, --to) that have no run yet, in slot order, each with its own slot and idempotency key (at most 10,000 slots)");
        var tag = new Argument<string>("tag") { Description = "The job's tag" };
        var product = GlobalOptions.Product();
        var from = new Option<DateTimeOffset>("--from") { Description = "Start of the range (inclusive): ISO-8601 instant", Required = true, CustomParser = ParseInstant };
        var to = new Option<DateTimeOffset>("--to") { Description = "End of the range (exclusive): ISO-8601 instant or 'now' (a future instant is cut to now)", Required = true, CustomParser = ParseInstant };
        command.Arguments.Add(tag);
        foreach (var o in (Option[])[product, from, to]) command.Options.Add(o);
        CommandRun.Bind(command, globals, console, async (run, ct) =>
        {
            var r = run.Result;
            var name = r.GetValue(tag)!;
            var result = await run.Client.Product(run.Product(product)).Jobs.BackfillAsync(name, r.GetValue(from), r.GetValue(to), ct);
            run.Render.Backfill(name, result);
        });
        return command;
    }

    private static DateTimeOffset ParseInstant(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (text.Equals("now", StringComparison.OrdinalIgnoreCase)) return DateTimeOffset.UtcNow;
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)) return at;
        result.AddError($"'{text}' is not an ISO-8601 instant (e.g. 2026-01-31T00:00:00Z).");
        return default;
    }
}
