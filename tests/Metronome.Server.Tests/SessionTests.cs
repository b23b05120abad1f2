using System.Net;
using Metronome.Contracts;
using Metronome.Server.Tests.Infrastructure;
using Metronome.Testing;

namespace Metronome.Server.Tests;

/// <summary>The dashboard's cookie session (POST/GET/DELETE /api/session) and the cookie in place of the bearer key.</summary>
public sealed class SessionTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Cookie = "metronome_session";
    private TestServer Server => fixture.Server;

    [Fact]
    public async Task Admin_key_signs_in_with_an_HttpOnly_SameSite_Strict_cookie_that_carries_no_key()
    {
        var before = DateTimeOffset.UtcNow;
        var response = await Server.Anonymous.PostAsync(Routes.Session, TestApi.Json(new SessionRequest { Key = TestServer.AdminKeyValue }));
        await response.ExpectAsync(200);
        var session = await response.ReadAsync<SessionInfo>();
        Assert.True(session.Admin);
        Assert.Null(session.Product);
        Assert.InRange(session.ExpiresAt!.Value, before.AddHours(8).AddSeconds(-5), DateTimeOffset.UtcNow.AddHours(8).AddSeconds(5));

        var setCookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        var attributes = setCookie.Split(';', StringSplitOptions.TrimEntries).Skip(1).Select(a => a.ToLowerInvariant()).ToList();
        Assert.StartsWith(Cookie + "=", setCookie);
        Assert.Contains("httponly", attributes);
        Assert.Contains("samesite=strict", attributes);
        Assert.Contains("path=/", attributes);
        Assert.DoesNotContain("secure", attributes); // plain HTTP here; Secure is added on HTTPS
        Assert.DoesNotContain(TestServer.AdminKeyValue, setCookie);
    }

    [Fact]
    public async Task Product_key_session_reaches_its_own_product_only()
    {
        var mine = await Server.CreateProductAsync();
        var other = await Server.CreateProductAsync();
        var key = await Server.CreateKeyAsync(mine.Tag!);
        var (cookie, session) = await SignInAsync(key);
        Assert.False(session.Admin);
        Assert.Equal(mine.Tag, session.Product);

        using var client = CookieClient(cookie);
        await (await client.GetAsync(Routes.Jobs(mine.Tag!))).ExpectAsync(200);
        await (await client.GetAsync(Routes.Jobs(other.Tag!))).ExpectAsync(404);
        await (await client.GetAsync(Routes.Products)).ExpectAsync(403);
        var read = await client.GetJsonAsync<SessionInfo>(Routes.Session);
        Assert.Equal(mine.Tag, read.Product);
    }

    [Fact]
    public async Task Wrong_key_answers_401_problem_and_a_missing_key_400_naming_it()
    {
        var wrong = await Server.Anonymous.PostAsync(Routes.Session, TestApi.Json(new SessionRequest { Key = "mk_not-a-real-key" }));
        await wrong.ExpectAsync(401);
        Assert.Equal("application/problem+json", wrong.Content.Headers.ContentType?.MediaType);
        Assert.False(wrong.Headers.Contains("Set-Cookie"));

        var missing = await Server.Anonymous.PostAsync(Routes.Session, TestApi.Raw("{}"));
        Assert.Contains("\"key\"", await missing.ExpectAsync(400));
    }

    [Fact]
    public async Task Cookie_authenticates_calls_and_unsafe_ones_need_the_csrf_header()
    {
        var (cookie, _) = await SignInAsync(TestServer.AdminKeyValue);
        using var client = CookieClient(cookie);
        await (await client.GetAsync(Routes.Products)).ExpectAsync(200);

        var tag = TestApi.Unique("p");
        var forged = await client.PostAsync(Routes.Products, TestApi.Json(new Product { Tag = tag, Name = "P" }));
        Assert.Contains("X-Metronome-Csrf", await forged.ExpectAsync(403));
        Assert.Equal("application/problem+json", forged.Content.Headers.ContentType?.MediaType);
        await (await Server.Admin.GetAsync(Routes.Product(tag))).ExpectAsync(404); // nothing was created

        using var request = new HttpRequestMessage(HttpMethod.Post, Routes.Products) { Content = TestApi.Json(new Product { Tag = tag, Name = "P" }) };
        request.Headers.Add("X-Metronome-Csrf", "1");
        await (await client.SendAsync(request)).ExpectAsync(201);
    }

    [Fact]
    public async Task Sign_out_clears_the_cookie_and_the_old_cookie_replayed_is_refused()
    {
        var (cookie, _) = await SignInAsync(TestServer.AdminKeyValue);
        using var client = CookieClient(cookie);
        await (await client.GetAsync(Routes.Session)).ExpectAsync(200);

        await (await client.DeleteAsync(Routes.Session)).ExpectAsync(403); // sign-out is an unsafe call too
        using var signOut = new HttpRequestMessage(HttpMethod.Delete, Routes.Session);
        signOut.Headers.Add("X-Metronome-Csrf", "1");
        var response = await client.SendAsync(signOut);
        await response.ExpectAsync(204);
        var cleared = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith(Cookie + "=;", cleared);
        Assert.Contains("expires=Thu, 01 Jan 1970", cleared, StringComparison.OrdinalIgnoreCase);

        await (await client.GetAsync(Routes.Session)).ExpectAsync(401);
        await (await client.GetAsync(Routes.Products)).ExpectAsync(401);
    }

    [Fact]
    public async Task Session_of_a_deleted_product_is_refused()
    {
        var product = await Server.CreateProductAsync();
        var (cookie, _) = await SignInAsync(await Server.CreateKeyAsync(product.Tag!));
        using var client = CookieClient(cookie);
        await (await client.GetAsync(Routes.Product(product.Tag!))).ExpectAsync(200);

        await (await Server.Admin.DeleteAsync(Routes.Product(product.Tag!))).ExpectAsync(204);

        await (await client.GetAsync(Routes.Product(product.Tag!))).ExpectAsync(401);
        await (await client.GetAsync(Routes.Session)).ExpectAsync(401);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("CfDJ8AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public async Task Forged_cookie_is_refused(string value)
    {
        using var client = CookieClient(value);
        await (await client.GetAsync(Routes.Products)).ExpectAsync(401);
        await (await client.GetAsync(Routes.Session)).ExpectAsync(401);
    }

    [Fact]
    public async Task Cookie_issued_by_one_node_works_on_another_and_sign_out_ends_it_on_both()
    {
        await using var postgres = await PostgresServer.StartAsync();
        var database = await postgres.CreateDatabaseAsync();
        await using var nodeA = await TestServer.StartAsync(settings: ClusterNode("node-a", database));
        await using var nodeB = await TestServer.StartAsync(settings: ClusterNode("node-b", database));

        var response = await nodeA.Anonymous.PostAsync(Routes.Session, TestApi.Json(new SessionRequest { Key = TestServer.AdminKeyValue }));
        await response.ExpectAsync(200);
        var cookie = CookieValue(response);
        using var onA = CookieClient(nodeA, cookie);
        using var onB = CookieClient(nodeB, cookie);
        Assert.True((await onB.GetJsonAsync<SessionInfo>(Routes.Session)).Admin);
        await (await onB.GetAsync(Routes.Products)).ExpectAsync(200);

        using var signOut = new HttpRequestMessage(HttpMethod.Delete, Routes.Session);
        signOut.Headers.Add("X-Metronome-Csrf", "1");
        await (await onB.SendAsync(signOut)).ExpectAsync(204);
        await (await onA.GetAsync(Routes.Products)).ExpectAsync(401);
        await (await onB.GetAsync(Routes.Products)).ExpectAsync(401);
    }

    private static Dictionary<string, string?> ClusterNode(string name, string database) => new()
    {
        ["METRONOME_STORE"] = "postgres",
        ["METRONOME_POSTGRES"] = database,
        ["METRONOME_NODE"] = name,
    };

    private async Task<(string Cookie, SessionInfo Session)> SignInAsync(string key)
    {
        var response = await Server.Anonymous.PostAsync(Routes.Session, TestApi.Json(new SessionRequest { Key = key }));
        await response.ExpectAsync(200);
        return (CookieValue(response), await response.ReadAsync<SessionInfo>());
    }

    private static string CookieValue(HttpResponseMessage response)
    {
        var setCookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        return setCookie.Split(';')[0][(Cookie.Length + 1)..];
    }

    private HttpClient CookieClient(string cookie) => CookieClient(Server, cookie);

    /// <summary>A client that sends the cookie as a browser would, and no bearer key.</summary>
    private static HttpClient CookieClient(TestServer server, string cookie)
    {
        var client = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Add("Cookie", $"{Cookie}={cookie}");
        return client;
    }
}
