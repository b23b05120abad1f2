using System.CommandLine;
using Metronome.Contracts;

namespace Metronome.Cli.Commands;

/// <summary><c>metronome products create|list|get|update|delete</c> (admin key).</summary>
internal static class ProductsCommand
{
    public static Command Build(GlobalOptions globals, CliConsole console)
    {
        var products = new Command("products", "Manage products (admin key)");

        var create = new Command("create", "Create a product");
        var tag = new Option<string>("--tag") { Description = "Unique tag of the product", Required = true };
        var name = new Option<string?>("--name") { Description = "Name (defaults to the tag)" };
        var description = new Option<string?>("--description") { Description = "Free text" };
        foreach (var o in (Option[])[tag, name, description]) create.Options.Add(o);
        CommandRun.Bind(create, globals, console, async (run, ct) =>
        {
            var r = run.Result;
            run.Render.Product(await run.Client.Products.CreateAsync(
                new Product { Tag = r.GetValue(tag), Name = r.GetValue(name) ?? r.GetValue(tag), Description = r.GetValue(description) }, ct));
        });
        products.Subcommands.Add(create);

        var list = new Command("list", "List products");
        CommandRun.Bind(list, globals, console, async (run, ct) => run.Render.Products(await run.Client.Products.FetchAllAsync(ct)));
        products.Subcommands.Add(list);

        var get = new Command("get", "Show one product");
        var getTag = new Argument<string>("tag");
        get.Arguments.Add(getTag);
        CommandRun.Bind(get, globals, console, async (run, ct) => run.Render.Product(await run.Client.Products.FetchAsync(run.Result.GetValue(getTag)!, ct)));
        products.Subcommands.Add(get);

        var update = new Command("update", "Change a product's name or description");
        var updateTag = new Argument<string>("tag");
        var newName = new Option<string?>("--name");
        var newDescription = new Option<string?>("--description");
        update.Arguments.Add(updateTag);
        update.Options.Add(newName);
        update.Options.Add(newDescription);
        CommandRun.Bind(update, globals, console, async (run, ct) =>
        {
            var r = run.Result;
            run.Render.Product(await run.Client.Products.UpdateAsync(r.GetValue(updateTag)!,
                new ProductUpdate { Name = r.GetValue(newName), Description = r.GetValue(newDescription) }, ct));
        });
        products.Subcommands.Add(update);

        var delete = new Command("delete", "Delete a product with its events, jobs, secrets and keys");
        var deleteTag = new Argument<string>("tag");
        delete.Arguments.Add(deleteTag);
        CommandRun.Bind(delete, globals, console, async (run, ct) =>
        {
            var t = run.Result.GetValue(deleteTag)!;
            await run.Client.Products.DeleteAsync(t, ct);
            run.Render.Done($"Deleted product '{t}'.");
        });
        products.Subcommands.Add(delete);
        return products;
    }
}
