using System.CommandLine;

namespace Metronome.Cli.Commands;

/// <summary><c>metronome secrets set NAME --product P [--value V]</c>: the value is read from stdin when not given, so it stays out of shell history.</summary>
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
        return secrets;
    }
}
