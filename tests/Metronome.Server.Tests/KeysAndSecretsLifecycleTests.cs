using Metronome.Contracts;
using Metronome.Server.Tests.Infrastructure;

namespace Metronome.Server.Tests;

/// <summary>Keys listed without the key and revoked (sessions end with them); secrets deleted unless events use them.</summary>
public sealed class KeysAndSecretsLifecycleTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Cookie = "metronome_session";
    private TestServer Server => fixture.Server;

    [Fact]
    public async Task Keys_list_shows_ids_and_dates_never_the_key_and_is_admin_only()
    {
        var product = (await Server.CreateProductAsync()).Tag!;
        var first = await CreateKeyAsync(product);
        var second = await CreateKeyAsync(product);

        var response = await Server.Admin.GetAsync(Routes.Keys(product));
        var raw = await response.ExpectAsync(200);
        Assert.DoesNotContain(first.Key!, raw);
        Assert.DoesNotContain(second.Key!, raw);
        Assert.DoesNotContain(Metronome.Core.Catalog.CatalogService.HashKey(first.Key!), raw);
        var keys = await response.ReadAsync<List<KeyInfo>>();
        Assert.Equal([first.Id, second.Id], keys.Select(k => k.Id));
        Assert.All(keys, k => Assert.Null(k.LastUsedAt));

        using var client = Server.Client(first.Key!);
        await (await client.GetAsync(Routes.Jobs(product))).ExpectAsync(200);
        await (await client.GetAsync(Routes.Keys(product))).ExpectAsync(403);
        // last_used_at is written off the request path: it shows shortly after.
        var used = await TestApi.EventuallyAsync(() => Server.Admin.GetJsonAsync<List<KeyInfo>>(Routes.Keys(product)),
            list => list.Single(k => k.Id == first.Id).LastUsedAt is not null);
        Assert.NotNull(used.Single(k => k.Id == first.Id).LastUsedAt);
        Assert.Null(used.Single(k => k.Id == second.Id).LastUsedAt);
    }

    [Fact]
    public async Task A_revoked_key_answers_401_at_once_and_its_dashboard_session_ends()
    {
        var product = (await Server.CreateProductAsync()).Tag!;
        var key = await CreateKeyAsync(product);
        var other = await CreateKeyAsync(product);
        using var client = Server.Client(key.Key!);
        using var otherClient = Server.Client(other.Key!);
        await (await client.GetAsync(Routes.Jobs(product))).ExpectAsync(200);
        var signIn = await Server.Anonymous.PostAsync(Routes.Session, TestApi.Json(new SessionRequest { Key = key.Key }));
        await signIn.ExpectAsync(200);
        using var browser = CookieClient(Assert.Single(signIn.Headers.GetValues("Set-Cookie")).Split(';')[0][(Cookie.Length + 1)..]);
        await (await browser.GetAsync(Routes.Jobs(product))).ExpectAsync(200);

        await (await client.DeleteAsync(Routes.Key(product, key.Id!))).ExpectAsync(403); // admin only
        await (await Server.Admin.DeleteAsync(Routes.Key(product, key.Id!))).ExpectAsync(204);

        await (await client.GetAsync(Routes.Jobs(product))).ExpectAsync(401);
        await (await browser.GetAsync(Routes.Jobs(product))).ExpectAsync(401);
        await (await browser.GetAsync(Routes.Session)).ExpectAsync(401);
        await (await otherClient.GetAsync(Routes.Jobs(product))).ExpectAsync(200);
        await (await Server.Admin.DeleteAsync(Routes.Key(product, key.Id!))).ExpectAsync(404);
        Assert.Equal([other.Id], (await Server.Admin.GetJsonAsync<List<KeyInfo>>(Routes.Keys(product))).Select(k => k.Id));

        var log = await Server.Admin.GetJsonAsync<Page<AuditLogEntry>>(Routes.Audit(product));
        var revoke = log.Items[0];
        Assert.Equal(("key.revoke", "admin", key.Id), (revoke.Action, revoke.Actor, revoke.Target));
    }

    [Fact]
    public async Task A_secret_used_by_an_event_is_deleted_only_with_force()
    {
        var product = (await Server.CreateProductAsync()).Tag!;
        foreach (var name in (string[])["TOKEN", "SPARE"])
            await (await Server.Admin.PutAsync(Routes.Secret(product, name), TestApi.Json(new SecretValue { Value = "value-" + name }))).ExpectAsync(204);
        await Server.Admin.CreateEventAsync(product, "action", "billing",
            new { method = "POST", url = fixture.Target.Url.ToString(), headers = new Dictionary<string, string> { ["Authorization"] = "Bearer {{ secrets.TOKEN }}" } });

        var conflict = await Server.Admin.DeleteAsync(Routes.Secret(product, "TOKEN"));
        var body = await conflict.ExpectAsync(409);
        Assert.Equal("application/problem+json", conflict.Content.Headers.ContentType?.MediaType);
        Assert.Contains("action/billing", body);

        await (await Server.Admin.DeleteAsync(Routes.Secret(product, "SPARE"))).ExpectAsync(204);
        await (await Server.Admin.DeleteAsync(Routes.Secret(product, "TOKEN") + "?force=true")).ExpectAsync(204);
        await (await Server.Admin.DeleteAsync(Routes.Secret(product, "TOKEN"))).ExpectAsync(404);
        await (await Server.Admin.DeleteAsync(Routes.Secret(product, "SPARE") + "?force=maybe")).ExpectAsync(400);
        Assert.Empty(await Server.Admin.GetJsonAsync<List<SecretInfo>>(Routes.Secrets(product)));

        var log = await Server.Admin.GetJsonAsync<Page<AuditLogEntry>>(Routes.Audit(product));
        Assert.Equal(["TOKEN", "SPARE"], log.Items.Where(i => i.Action == "secret.delete").Select(i => i.Target));
        Assert.All(log.Items.Where(i => i.Action == "secret.delete"), i => Assert.Null(i.Changes["value"].New));
    }

    private async Task<ProductKey> CreateKeyAsync(string product)
    {
        var response = await Server.Admin.PostAsync(Routes.Keys(product), null);
        await response.ExpectAsync(201);
        return await response.ReadAsync<ProductKey>();
    }

    private HttpClient CookieClient(string cookie)
    {
        var client = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = Server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Add("Cookie", $"{Cookie}={cookie}");
        return client;
    }
}
