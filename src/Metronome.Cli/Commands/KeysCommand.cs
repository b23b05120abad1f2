using System.CommandLine;

namespace Metronome.Cli.Commands;

/// <summary>
/// <c>metronome keys create|list|revoke --product P</c> (admin key): create prints the new product key once; list shows ids
/// and dates, never a key; revoke ends a key on every node within a second.
/// </summary>
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

        var list = new Command("list", "List the product's keys: ids, created and last used (never the key)");
        var listProduct = GlobalOptions.Product();
        list.Options.Add(listProduct);
        CommandRun.Bind(list, globals, console, async (run, ct) =>
            run.Render.Keys(await run.Client.Product(run.Product(listProduct)).Keys.ListAsync(ct)));
        keys.Subcommands.Add(list);

        var revoke = new Command("revoke", "Revoke a key: refused by every node within a second; its dashboard sessions end");
        var id = new Argument<string>("id") { Description = "The key's id (from keys list)" };
        var revokeProduct = GlobalOptions.Product();
        revoke.Arguments.Add(id);
        revoke.Options.Add(revokeProduct);
        CommandRun.Bind(revoke, globals, console, async (run, ct) =>
        {
            var keyId = run.Result.GetValue(id)!;
            await run.Client.Product(run.Product(revokeProduct)).Keys.RevokeAsync(keyId, ct);
            run.Render.Done($"Revoked key '{keyId}'.");
        });
        keys.Subcommands.Add(revoke);
        return keys;
    }
}
