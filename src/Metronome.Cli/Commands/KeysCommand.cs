using System.CommandLine;

namespace Metronome.Cli.Commands;

/// <summary><c>metronome keys create --product P</c> (admin key): prints the new product key once.</summary>
internal static class KeysCommand
{
    public static Command Build(GlobalOptions globals, CliConsole console)
    {
        var keys = new Command("keys", "Manage product keys (admin key)");
        var create = new Command("create", "Create a key that reaches only this product; it is shown once");
        var product = GlobalOptions.Product();
        create.Options.Add(product);
        CommandRun.Bind(create, globals, console, async (run, ct) =>
            run.Render.Key(await run.Client.Product(run.Product(product)).Keys.CreateAsync(ct)));
        keys.Subcommands.Add(create);
        return keys;
    }
}
