using System.Text.Json;
using Metronome.Contracts;

namespace Metronome.Cli.Tests;

/// <summary><c>audit</c>, <c>keys list|revoke</c> and <c>secrets list|delete</c> through the built <c>metronome</c> process.</summary>
[Collection(CliCollection.Name)]
public sealed class AuditCommandTests(CliFixture fixture)
{
    [Fact]
    public async Task Audit_shows_the_latest_changes_newest_first_with_actor_and_diff()
    {
        var shop = await fixture.CreateProductAsync();
        await fixture.Admin.Product(shop).Secrets.SetAsync("TOKEN", "hunter2-secret");
        await fixture.Admin.Product(shop).Events.UpdateAsync("function", "sum", new ProductEventUpdate { Name = "Sum it" });

        var table = await fixture.RunAsync("audit", "-p", shop, "--limit", "2");
        var json = await fixture.RunAsync("audit", "-p", shop, "--json");

        Assert.True(table.ExitCode == 0, table.Stderr);
        Assert.Contains("event.update", table.Stdout);
        Assert.Contains("secret.put", table.Stdout);
        Assert.Contains("\"Sum it\"", table.Stdout);
        Assert.DoesNotContain("product.create", table.Stdout); // --limit 2
        Assert.DoesNotContain("hunter2", table.Stdout + json.Stdout);
        var entries = JsonSerializer.Deserialize<List<AuditLogEntry>>(json.Stdout, MetronomeJson.Options)!;
        Assert.Equal("event.update", entries[0].Action);
        Assert.Equal("admin", entries[0].Actor);
        Assert.Equal("product.create", entries[^1].Action);
    }

    [Fact]
    public async Task Keys_list_and_revoke()
    {
        var shop = await fixture.CreateProductAsync();
        var key = await fixture.Admin.Product(shop).Keys.CreateAsync();

        var list = await fixture.RunAsync("keys", "list", "-p", shop, "--json");
        var revoke = await fixture.RunAsync("keys", "revoke", key.Id!, "-p", shop);
        var refused = await CliProcess.RunAsync(fixture.Url, key.Key!, ["jobs", "list", "-p", shop]);
        var empty = await fixture.RunAsync("keys", "list", "-p", shop);

        Assert.True(list.ExitCode == 0, list.Stderr);
        Assert.DoesNotContain(key.Key!, list.Stdout);
        Assert.Equal(key.Id, Assert.Single(JsonSerializer.Deserialize<List<KeyInfo>>(list.Stdout, MetronomeJson.Options)!).Id);
        Assert.True(revoke.ExitCode == 0, revoke.Stderr);
        Assert.Contains(key.Id!, revoke.Stdout);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("No keys.", empty.Stdout);
    }

    [Fact]
    public async Task Secrets_list_and_delete_refused_while_used_unless_forced()
    {
        var shop = await fixture.CreateProductAsync();
        await fixture.Admin.Product(shop).Secrets.SetAsync("TOKEN", "value");
        await fixture.Admin.Product(shop).Events.CreateAsync(new ProductEvent
        {
            Type = "action", Tag = "hook", Name = "Hook",
            Definition = JsonSerializer.SerializeToElement(new { method = "GET", url = "http://127.0.0.1:9/x?t={{secrets.TOKEN}}" }),
        });

        var list = await fixture.RunAsync("secrets", "list", "-p", shop);
        var refused = await fixture.RunAsync("secrets", "delete", "TOKEN", "-p", shop);
        var forced = await fixture.RunAsync("secrets", "delete", "TOKEN", "-p", shop, "--force");

        Assert.True(list.ExitCode == 0, list.Stderr);
        Assert.Contains("TOKEN", list.Stdout);
        Assert.DoesNotContain("value", list.Stdout.Replace("No secrets", "", StringComparison.Ordinal));
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("action/hook", refused.Stderr);
        Assert.True(forced.ExitCode == 0, forced.Stderr);
        Assert.Empty(await fixture.Admin.Product(shop).Secrets.ListAsync());
    }
}
