using System.CommandLine;

namespace Metronome.Cli.Commands;

/// <summary>
/// <c>metronome secrets set NAME --product P [--value V]</c>: the value is read from stdin when not given, so it stays out
/// of shell history. <c>secrets list</c> shows names and dates, never values; <c>secrets delete NAME [--force]</c> is
/// refused while an event uses the secret unless forced.
/// </summary>
internal static class SecretsCommand
{
    public static Command Build(GlobalOptions globals, CliConsole console)
    {
        var secrets = new Command("secrets", "Store product secrets (used as {{secrets.NAME}}; never shown again)");
        var set = new Command("set", "Store or replace a secret");
        var name = new Argument<string>("name");
        var product = GlobalOptions.Product();
        var value = new Option<string?>("--value") { Description = "The value (else read from stdin)" };
        set.Arguments.Add(name);
        set.Options.Add(product);
        set.Options.Add(value);
        CommandRun.Bind(set, globals, console, async (run, ct) =>
        {
            var text = run.Result.GetValue(value) ?? (await console.In.ReadToEndAsync(ct)).TrimEnd('\r', '\n');
            var n = run.Result.GetValue(name)!;
            await run.Client.Product(run.Product(product)).Secrets.SetAsync(n, text, ct);
            run.Render.Done($"Stored secret '{n}'.");
        });
        secrets.Subcommands.Add(set);

        var list = new Command("list", "List the product's secret names and when each was set (never a value)");
        var listProduct = GlobalOptions.Product();
        list.Options.Add(listProduct);
        CommandRun.Bind(list, globals, console, async (run, ct) =>
            run.Render.Secrets(await run.Client.Product(run.Product(listProduct)).Secrets.ListAsync(ct)));
        secrets.Subcommands.Add(list);

        var delete = new Command("delete", "Delete a secret (refused while events use it, unless --force)");
        var deleteName = new Argument<string>("name");
        var deleteProduct = GlobalOptions.Product();
        var force = new Option<bool>("--force") { Description = "Delete even while events use it (their runs then fail on the missing secret)" };
        delete.Arguments.Add(deleteName);
        delete.Options.Add(deleteProduct);
        delete.Options.Add(force);
        CommandRun.Bind(delete, globals, console, async (run, ct) =>
        {
            var n = run.Result.GetValue(deleteName)!;
            await run.Client.Product(run.Product(deleteProduct)).Secrets.DeleteAsync(n, run.Result.GetValue(force), ct);
            run.Render.Done($"Deleted secret '{n}'.");
        });
        secrets.Subcommands.Add(delete);
        return secrets;
    }
}
