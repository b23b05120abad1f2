using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using Metronome.Contracts;
using Metronome.Testing.Peers;

namespace Metronome.Security.Tests.Egress;

/// <summary>Issue 10, attacks 3, 9 and 11, run by a tenant with an ordinary product key against the real server.</summary>
public sealed class EgressAttackTests(HostileServer server, EchoTarget target, SmtpSink sink)
    : IClassFixture<HostileServer>, IClassFixture<EchoTarget>, IClassFixture<SmtpSink>
{
    private static string Unique(string prefix = "/echo") => $"{prefix}/{Guid.NewGuid():N}";

    [Fact]
    public async Task A_literal_CRLF_in_a_header_value_is_refused_when_the_event_is_created()
    {
        var evil = await server.CreateTenantAsync("evil");

        var response = await evil.PostJsonAsync(Routes.Events(evil.Product), $$$$"""
            {"type": "action", "tag": "inject", "name": "inject",
             "definition": {"url": "{{{{target.BaseUrl}}}}/a", "headers": {"X-User": "a\r\nX-Injected: 1"}}}
            """);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("definition.headers.X-User", (await Tenant.ProblemErrorsAsync(response)).Select(kv => kv.Key));
    }

    [Fact]
    public async Task A_rendered_CRLF_header_fails_the_run_and_the_target_receives_nothing_at_all()
    {
        var evil = await server.CreateTenantAsync("evil");
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var received = Metronome.Testing.RawTcp.ReceiveAsync(listener, TimeSpan.FromSeconds(5));
        var marker = "/injection-" + Guid.NewGuid().ToString("N");
        await evil.CreateEventAsync("action", "inject", new
        {
            url = $"http://127.0.0.1:{port}{marker}",
            headers = new Dictionary<string, string> { ["X-User"] = "{{input.x}}" },
        });

        await evil.CreateJobAsync("inject", "action", "inject",
            input: new { x = $"a\r\nX-Injected: 1\r\nContent-Length: 0\r\n\r\nGET {marker}/smuggled HTTP/1.1\r\nHost: victim\r\n\r\n" });
        var run = Assert.Single(await evil.WaitForFinishedRunsAsync("inject", 1));

        Assert.Equal(RunStatuses.Failed, run.Status);
        Assert.Equal("rejected", run.Error?.Kind);
        // Nothing of this job's request reached the listener (a stray connection of another test may have).
        Assert.DoesNotContain(await received, r => r.Contains(marker) || r.Contains("X-Injected"));
    }

    [Fact]
    public async Task A_redirect_to_another_origin_is_not_followed_by_default_and_when_followed_the_custom_header_stays_behind()
    {
        var evil = await server.CreateTenantAsync("evil");
        await Tenant.EnsureAsync(await evil.Http.PutAsJsonAsync(Routes.Secret(evil.Product, "KEY"), new { value = "tenant-api-key-0123456789" }));
        var landing = Unique();
        // localhost is another origin than 127.0.0.1 (another host), served by the same listener.
        var redirect = $"{target.BaseUrl}/redirect/302{Unique("")}?to={Uri.EscapeDataString($"http://localhost:{target.Port}{landing}")}";
        var followedLanding = Unique();
        var followed = $"{target.BaseUrl}/redirect/307{Unique("")}?to={Uri.EscapeDataString($"http://localhost:{target.Port}{followedLanding}")}";
        var headers = new Dictionary<string, string> { ["X-Api-Key"] = "{{secrets.KEY}}" };
        await evil.CreateEventAsync("action", "stay", new { url = redirect, headers });
        await evil.CreateEventAsync("action", "follow", new { url = followed, headers, follow_redirects = true });

        await evil.CreateJobAsync("stay", "action", "stay");
        await evil.CreateJobAsync("follow", "action", "follow");
        var stay = Assert.Single(await evil.WaitForFinishedRunsAsync("stay", 1));
        var follow = Assert.Single(await evil.WaitForFinishedRunsAsync("follow", 1));

        Assert.Equal("http_status", stay.Error?.Kind);
        Assert.Null(target.RequestTo(landing));
        Assert.Equal(RunStatuses.Succeeded, follow.Status);
        var arrived = target.RequestTo(followedLanding);
        Assert.NotNull(arrived);
        Assert.False(arrived.Headers.ContainsKey("X-Api-Key"));
    }

    [Fact]
    public async Task The_cloud_metadata_address_is_refused_by_default()
    {
        var evil = await server.CreateTenantAsync("evil");
        await evil.CreateEventAsync("action", "metadata", new { url = "http://169.254.169.254/latest/meta-data/iam/security-credentials/" });
        await evil.CreateEventAsync("notification", "hook", new { channel = "webhook", url = "http://metadata.google.internal/computeMetadata/v1/" });

        await evil.CreateJobAsync("metadata", "action", "metadata");
        await evil.CreateJobAsync("hook", "notification", "hook");

        Assert.Equal("egress_denied", Assert.Single(await evil.WaitForFinishedRunsAsync("metadata", 1)).Error?.Kind);
        Assert.Equal("egress_denied", Assert.Single(await evil.WaitForFinishedRunsAsync("hook", 1)).Error?.Kind);
    }

    [Fact]
    public async Task An_email_item_with_two_addresses_is_refused_literal_or_rendered_and_nothing_is_sent()
    {
        var evil = await server.CreateTenantAsync("evil");
        var marker = Guid.NewGuid().ToString("N");
        object Email(string to) => new
        {
            channel = "email", smtp = new { host = "127.0.0.1", port = sink.Port, tls = "none" },
            from = "jobs@example.com", to = new[] { to }, subject = marker, body = "hi",
        };

        var literal = await evil.Http.PostAsJsonAsync(Routes.Events(evil.Product),
            new { type = "notification", tag = "literal", name = "literal", definition = Email("a@x.example, b@evil.example") });
        await evil.CreateEventAsync("notification", "rendered", Email("{{input.t}}"));
        await evil.CreateJobAsync("rendered", "notification", "rendered", input: new { t = "a@x.example, b@evil.example" });
        var run = Assert.Single(await evil.WaitForFinishedRunsAsync("rendered", 1));

        Assert.Equal(HttpStatusCode.BadRequest, literal.StatusCode);
        Assert.Contains("definition.to[0]", (await Tenant.ProblemErrorsAsync(literal)).Select(kv => kv.Key));
        Assert.Equal("rejected", run.Error?.Kind);
        // The run is recorded after its attempt ended: a message it sent would already be stored by the sink.
        Assert.DoesNotContain(sink.Messages(), m => m.Message.Subject == marker);
    }

    [Fact]
    public async Task Secrets_in_a_url_path_host_json_body_or_short_never_reach_the_log_or_run_records()
    {
        var evil = await server.CreateTenantAsync("evil");
        var pathSecret = "path-" + Guid.NewGuid().ToString("N");
        const string jsonSecret = "p@ss+w<rd>-json-escaped";
        const string shortSecret = "Q7";
        const string hostSecret = "LocalHost";
        foreach (var (name, value) in new[] { ("PATH", pathSecret), ("JSON", jsonSecret), ("SHORT", shortSecret), ("HOST", hostSecret) })
            await Tenant.EnsureAsync(await evil.Http.PutAsJsonAsync(Routes.Secret(evil.Product, name), new { value }));
        var closed = Testing.FreePort.Next();
        await evil.CreateEventAsync("action", "echo", new
        {
            method = "POST", url = $"{target.BaseUrl}/s/{{{{secrets.PATH}}}}/{{{{secrets.SHORT}}}}",
            body = new { password = "{{secrets.JSON}}" },
        });
        await evil.CreateEventAsync("action", "host", new { url = $"http://{{{{secrets.HOST}}}}:{closed}/{{{{secrets.PATH}}}}" });

        // One slot each, the next 5 s away: a claim delayed on a busy machine finds no later slot to fire instead (a skipped run).
        await evil.CreateJobAsync("echo", "action", "echo", intervals: 5000);
        await evil.CreateJobAsync("host", "action", "host", intervals: 5000);
        var echo = Assert.Single(await evil.WaitForFinishedRunsAsync("echo", 1));
        var host = Assert.Single(await evil.WaitForFinishedRunsAsync("host", 1));
        await Task.Delay(500); // the log line of a finished attempt may follow its record

        Assert.Equal(RunStatuses.Succeeded, echo.Status);
        Assert.NotNull(target.RequestTo($"/s/{pathSecret}/{shortSecret}"));
        Assert.Equal("connection_refused", host.Error?.Kind);
        var records = echo.Output?.GetRawText() + echo.Error?.Message + host.Output?.GetRawText() + host.Error?.Message;
        var log = server.Process.Output;
        foreach (var text in new[] { records, log })
        {
            Assert.DoesNotContain(pathSecret, text, StringComparison.Ordinal);
            Assert.DoesNotContain("p@ss", text, StringComparison.Ordinal);
            Assert.DoesNotContain("\\u002Bw\\u003Crd", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("/" + shortSecret, text, StringComparison.Ordinal);
            Assert.DoesNotContain($"localhost:{closed}", text, StringComparison.OrdinalIgnoreCase);
        }
    }
}

/// <summary>A server run with <c>METRONOME_EGRESS_DENY=127.0.0.0/8</c>, as a multi-tenant server should (with its other networks).</summary>
public sealed class LoopbackDenyingServer : HostileServer
{
    protected override IDictionary<string, string> Environment => new Dictionary<string, string> { ["METRONOME_EGRESS_DENY"] = "127.0.0.0/8" };
}

public sealed class EgressDenyTests(LoopbackDenyingServer server, EchoTarget target) : IClassFixture<LoopbackDenyingServer>, IClassFixture<EchoTarget>
{
    [Fact]
    public async Task The_deny_list_refuses_loopback_for_actions_and_webhooks_and_the_target_receives_nothing()
    {
        var evil = await server.CreateTenantAsync("evil");
        var path = $"/deny/{Guid.NewGuid():N}";
        await evil.CreateEventAsync("action", "loop", new { url = target.BaseUrl + path });
        await evil.CreateEventAsync("notification", "hook", new { channel = "webhook", url = $"http://localhost:{target.Port}{path}" });

        await evil.CreateJobAsync("loop", "action", "loop");
        await evil.CreateJobAsync("hook", "notification", "hook");
        var loop = Assert.Single(await evil.WaitForFinishedRunsAsync("loop", 1));
        var hook = Assert.Single(await evil.WaitForFinishedRunsAsync("hook", 1));

        Assert.Equal("egress_denied", loop.Error?.Kind);
        Assert.Contains("METRONOME_EGRESS_DENY", loop.Error?.Message, StringComparison.Ordinal);
        Assert.Equal("egress_denied", hook.Error?.Kind);
        Assert.Null(target.RequestTo(path));
    }
}
