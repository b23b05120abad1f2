using System.Net;
using Metronome.Client.Tests.Infrastructure;
using Metronome.Contracts;

namespace Metronome.Client.Tests;

/// <summary>The audit log, key listing and revocation, secret listing and deletion through the SDK against a real server process.</summary>
[Collection(ServerCollection.Name)]
public sealed class AuditAndKeysClientTests(ServerFixture fixture)
{
    [Fact]
    public async Task AuditAsync_pages_the_log_newest_first_with_the_key_id_as_actor()
    {
        var product = await fixture.CreateProductAsync();
        var key = await fixture.Admin.Product(product).Keys.CreateAsync();
        using var client = fixture.Client(key.Key);
        await client.Product(product).Jobs.CreateAsync(new ProductJob { Name = "J", Tag = "j", EventType = "function", EventTag = "sum", Executions = 0, Intervals = 3_600_000 });
        await client.Product(product).Jobs.UpdateAsync("j", new ProductJobUpdate { Name = "J2" });

        var first = await client.Product(product).AuditAsync(limit: 2);
        var rest = await client.Product(product).AuditAsync(limit: 500, cursor: first.NextCursor);

        Assert.Equal(["job.update", "job.create"], first.Items.Select(e => e.Action));
        Assert.All(first.Items, e => Assert.Equal(key.Id, e.Actor));
        Assert.Equal("J2", first.Items[0].Changes["name"].New!.Value.GetString());
        Assert.Contains(rest.Items, e => e.Action == "key.create" && e.Actor == "admin" && e.Target == key.Id);
        Assert.Null(rest.NextCursor);
        var bad = await Assert.ThrowsAsync<MetronomeApiException>(() => client.Product(product).AuditAsync(limit: 501));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Keys_are_listed_without_the_key_and_a_revoked_key_is_refused()
    {
        var product = await fixture.CreateProductAsync();
        var keys = fixture.Admin.Product(product).Keys;
        var key = await keys.CreateAsync();
        using var client = fixture.Client(key.Key);
        await client.Products.FetchAsync(product);

        var listed = await keys.ListAsync();
        await keys.RevokeAsync(key.Id!);
        var refused = await Assert.ThrowsAsync<MetronomeApiException>(() => client.Products.FetchAsync(product));
        var again = await Assert.ThrowsAsync<MetronomeApiException>(() => keys.RevokeAsync(key.Id!));

        Assert.Equal(key.Id, Assert.Single(listed).Id);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Empty(await keys.ListAsync());
    }

    [Fact]
    public async Task A_secret_used_by_an_event_is_deleted_only_with_force()
    {
        var product = await fixture.CreateProductAsync();
        var api = fixture.Admin.Product(product);
        await api.Secrets.SetAsync("TOKEN", "t0ken");
        await api.Events.CreateAsync(new ProductEvent
        {
            Type = JobEventTypes.Action, Tag = "ping", Name = "Ping",
            Definition = System.Text.Json.JsonSerializer.SerializeToElement(new { method = "GET", url = "http://127.0.0.1:9/x?t={{secrets.TOKEN}}" }),
        });

        var conflict = await Assert.ThrowsAsync<MetronomeApiException>(() => api.Secrets.DeleteAsync("TOKEN"));
        await api.Secrets.DeleteAsync("TOKEN", force: true);

        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Contains("action/ping", conflict.Detail);
        Assert.Empty(await api.Secrets.ListAsync());
    }
}
