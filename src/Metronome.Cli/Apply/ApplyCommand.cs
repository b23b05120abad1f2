using System.CommandLine;
using System.Text;
using System.Text.Json;
using Metronome.Contracts;

namespace Metronome.Cli.Apply;

/// <summary>
/// <c>metronome apply -f jobs.yaml [--prune] [--dry-run]</c>: makes the product's jobs match a YAML file (docs/apply.md).
/// Exit codes: 0 applied, or nothing to change, or a dry run (whatever it found); 1 the server refused (the file's
/// values are invalid: nothing was applied) or could not be reached; 2 a usage mistake or a file that cannot be read
/// or parsed (nothing was sent).
/// </summary>
internal static class ApplyCommand
{
    public static Command Build(GlobalOptions globals, CliConsole console)
    {
        var apply = new Command("apply", "Make the product's jobs match a YAML file: create, update, and with --prune delete");
        var file = new Option<string>("--file", "-f") { Description = "The jobs file (YAML with a top-level 'jobs:' list); '-' reads stdin", Required = true };
        var prune = new Option<bool>("--prune") { Description = "Also delete the product's jobs the file does not list" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print what would change; change nothing" };
        var product = GlobalOptions.Product();
        apply.Options.Add(file);
        apply.Options.Add(prune);
        apply.Options.Add(dryRun);
        apply.Options.Add(product);
        CommandRun.Bind(apply, globals, console, async (run, ct) =>
        {
            var path = run.Result.GetValue(file)!;
            var jobs = JobsFile.Parse(await ReadAsync(path, console, ct), path == "-" ? "<stdin>" : path);
            var productTag = run.Product(product);
            var result = await run.Client.Product(productTag).Jobs.ApplyAsync(jobs, run.Result.GetValue(prune), run.Result.GetValue(dryRun), ct);
            await console.Out.WriteAsync(run.Json ? JsonSerializer.Serialize(result, Indented) + Environment.NewLine : Describe(result, productTag));
        });
        return apply;
    }

    private static readonly JsonSerializerOptions Indented = new(MetronomeJson.Options) { WriteIndented = true };

    private static async Task<string> ReadAsync(string path, CliConsole console, CancellationToken ct)
    {
        if (path == "-") return await console.In.ReadToEndAsync(ct);
        try
        {
            return await File.ReadAllTextAsync(path, ct);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliUsageException($"cannot read {path}: {e.Message}");
        }
    }

    /// <summary>The diff for people: <c>+</c> created, <c>~</c> updated with each field old → new, <c>-</c> deleted, then the totals.</summary>
    internal static string Describe(JobsApplyResult result, string product)
    {
        var text = new StringBuilder();
        var verb = result.DryRun ? "would be " : "";
        foreach (var tag in result.Created) text.AppendLine($"+ {tag} ({verb}created)");
        foreach (var update in result.Updated)
        {
            text.AppendLine($"~ {update.Tag} ({verb}updated)");
            foreach (var (field, change) in update.Changes.OrderBy(c => c.Key, StringComparer.Ordinal))
                text.AppendLine($"    {field}: {Value(change.Old)} → {Value(change.New)}");
        }
        foreach (var tag in result.Deleted) text.AppendLine($"- {tag} ({verb}deleted)");
        var totals = $"{result.Created.Count} created, {result.Updated.Count} updated, {result.Deleted.Count} deleted, {result.Unchanged.Count} unchanged";
        text.AppendLine(result.DryRun
            ? $"Dry run for product '{product}', nothing was changed: {totals}."
            : result.HasChanges ? $"Applied to product '{product}': {totals}." : $"No changes: product '{product}' already matches the file ({result.Unchanged.Count} unchanged).");
        return text.ToString();
    }

    private static string Value(JsonElement? value) => value is { ValueKind: not JsonValueKind.Null } v ? v.GetRawText() : "(unset)";
}
