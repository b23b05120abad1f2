using System.Text.Json;
using Metronome.Contracts;

namespace Metronome.Cli.Tests;

/// <summary>Products, events, keys and secrets through the built <c>metronome</c> process.</summary>
[Collection(CliCollection.Name)]
public sealed class CatalogCommandTests(CliFixture fixture)
{
    [Fact]
    public async Task Products_create_get_list_and_delete()
    {
        var tag = $"cli-{Guid.NewGuid().ToString("N")[..8]}";

        var create = await fixture.RunAsync("products", "create", "--tag", tag, "--name", "From CLI");
        var get = await fixture.RunAsync("products", "get", tag, "--json");
        var list = await fixture.RunAsync("products", "list");
        var delete = await fixture.RunAsync("products", "delete", tag);
        var gone = await fixture.RunAsync("products", "get", tag);

        Assert.True(create.ExitCode == 0, create.Stderr);
        Assert.Equal("From CLI", JsonSerializer.Deserialize<Product>(get.Stdout, MetronomeJson.Options)!.Name);
        Assert.Contains(tag, list.Stdout);
        Assert.Equal(0, delete.ExitCode);
        Assert.Equal($"metronome: product '{tag}' not found", gone.Stderr.Trim());
    }

    [Fact]
    public async Task Events_create_from_stdin_then_get_list_and_delete()
    {
        var shop = await fixture.CreateProductAsync();
        const string json = """{"type":"function","tag":"double","name":"Double","definition":{"language":"javascript","code":"function handler(i){ return 2; }"}}""";

        var create = await fixture.RunWithInputAsync(json, "events", "create", "-p", shop);
        var get = await fixture.RunAsync("events", "get", "function", "double", "-p", shop, "--json");
        var list = await fixture.RunAsync("events", "list", "-p", shop, "--type", "function");
        var delete = await fixture.RunAsync("events", "delete", "function", "double", "-p", shop);

        Assert.True(create.ExitCode == 0, create.Stderr);
        Assert.Equal("Double", JsonSerializer.Deserialize<ProductEvent>(get.Stdout, MetronomeJson.Options)!.Name);
        Assert.Contains("double", list.Stdout);
        Assert.Contains("sum", list.Stdout);
        Assert.Equal(0, delete.ExitCode);
        Assert.DoesNotContain(await fixture.Admin.Product(shop).Events.FetchAllAsync(), e => e.Tag == "double");
    }

    [Fact]
    public async Task Events_create_from_a_file()
    {
        var shop = await fixture.CreateProductAsync();
        var file = Path.Combine(Path.GetTempPath(), $"metronome-event-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, """{"type":"action","tag":"hook","name":"Hook","definition":{"method":"GET","url":"http://127.0.0.1:9/x"}}""");
        try
        {
            var result = await fixture.RunAsync("events", "create", "-p", shop, "--file", file);

            Assert.True(result.ExitCode == 0, result.Stderr);
            Assert.Equal("Hook", (await fixture.Admin.Product(shop).Events.FetchAsync("action", "hook")).Name);
        }
        finally { File.Delete(file); }
    }

    [Fact]
    public async Task Keys_create_prints_a_key_that_reaches_the_product()
    {
        var shop = await fixture.CreateProductAsync();

        var result = await fixture.RunAsync("keys", "create", "-p", shop, "--json");
        var key = JsonSerializer.Deserialize<ProductKey>(result.Stdout, MetronomeJson.Options)!;
        var asProduct = await CliProcess.RunAsync(fixture.Url, key.Key!, ["jobs", "list", "-p", shop]);
        var adminOnly = await CliProcess.RunAsync(fixture.Url, key.Key!, ["products", "list"]);

        Assert.Equal(0, asProduct.ExitCode);
        Assert.NotEqual(0, adminOnly.ExitCode);
        Assert.StartsWith("metronome: forbidden", adminOnly.Stderr);
    }

    [Fact]
    public async Task A_wrong_key_or_an_unreachable_server_is_reported_in_one_line()
    {
        var wrongKey = await CliProcess.RunAsync(fixture.Url, "mk_wrong", ["jobs", "list", "-p", "shop"]);
        var port = Metronome.Testing.Processes.ServerProcess.FreePort();
        var unreachable = await CliProcess.RunAsync(new Uri($"http://127.0.0.1:{port}"), "k", ["jobs", "list", "-p", "shop"]);

        Assert.NotEqual(0, wrongKey.ExitCode);
        Assert.StartsWith("metronome: unauthorized", wrongKey.Stderr);
        Assert.NotEqual(0, unreachable.ExitCode);
        Assert.StartsWith($"metronome: could not reach http://127.0.0.1:{port}/", unreachable.Stderr);
        Assert.Single(unreachable.Stderr.Trim().Split('\n'));
    }
}
