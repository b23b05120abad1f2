using System.Text.Json;
using System.Text.RegularExpressions;
using Metronome.Contracts;
using Metronome.Server.Tests.Infrastructure;
using Metronome.Testing.Peers;

namespace Metronome.Server.Tests.Docs;

/// <summary>
/// The examples of docs/events.md and docs/jobs.md work as written: each event and job is created on a real server
/// (201), and each job marked <c>runs here</c> is triggered once against a real peer and must succeed. The pages say
/// which addresses are replaced here (<see cref="Substitute"/>): a doc example that stops validating or running fails
/// the build.
/// </summary>
public sealed partial class DocsExamplesTests(DocsPeers peers) : IClassFixture<DocsPeers>
{
    [GeneratedRegex(@"\{\{\s*secrets\.([A-Za-z0-9_]+)\s*\}\}")]
    private static partial Regex SecretReference();

    private TestServer Server => peers.Server;
    private ProviderListener Http => peers.Http;
    private string HttpBase => peers.HttpBase;

    [Fact]
    public async Task Every_example_of_events_md_is_accepted_and_the_runnable_ones_succeed()
    {
        var runs = await CreateAndRunAsync("events.md");

        // Each run left its trace at its peer, under the idempotency key of that very run.
        foreach (var (job, product, run) in runs)
        {
            var key = $"{product}/{job.Property("tag")}/trigger-{run.Id}";
            switch (job.Property("event_tag"))
            {
                case "ping" or "hook" or "push" or "sms":
                    Assert.Contains(Http.RequestsUnder(HttpBase), r => r.Headers.TryGetValue("Idempotency-Key", out var k) && k == key);
                    break;
                case "daily-mail":
                    var mail = await peers.Smtp.WaitForAsync(m => m.Message.Headers["X-Idempotency-Key"] == key);
                    Assert.Equal("Hello ops", mail.Message.TextBody?.Trim());
                    break;
                case "tick":
                    Assert.Equal(1L, await peers.SqliteScalarAsync("SELECT count(*) FROM ticks WHERE slot = 0 AND note = 'from metronome'"));
                    break;
                case "pg-tick":
                    Assert.Equal(1L, await peers.PostgresScalarAsync("SELECT count(*) FROM ticks WHERE slot = 0"));
                    break;
                case "sum":
                    Assert.Equal(5, run.Output!.Value.GetProperty("total").GetInt32());
                    break;
            }
        }
        var ping = Http.RequestsUnder(HttpBase).Single(r => r.Path.EndsWith("/api/ping", StringComparison.Ordinal));
        Assert.Equal("doc-secret-BILLING", ping.Headers["X-Token"]);
        Assert.Contains("\"slot\":0", ping.Body, StringComparison.Ordinal);
    }

    [Fact]
    public void Events_md_has_a_complete_example_for_every_type_channel_provider_and_broker()
    {
        var examples = DocPages.Read("events.md");
        var events = examples.Where(e => e.Kind == "event").ToList();
        var jobs = examples.Where(e => e.Kind == "job").ToList();
        var variants = events.Select(Variant).ToList();
        string[] expected =
        [
            "action", "notification/email", "notification/webhook", "notification/push", "notification/sms",
            "database_action/sqlite", "database_action/postgres", "function/javascript",
            "messagebroker/redis", "messagebroker/rabbitmq", "messagebroker/nats",
        ];
        Assert.Equal(expected.Order(), variants.Distinct().Order());
        foreach (var ev in events)
            Assert.True(jobs.Any(j => j.Property("event_type") == ev.Property("type") && j.Property("event_tag") == ev.Property("tag")), $"no job runs the event of {ev}");

        // Every kind of example is run here, so each must keep a job marked "runs here".
        var ran = jobs.Where(j => j.RunsHere).Select(j => Variant(events.Single(e => e.Property("tag") == j.Property("event_tag") && e.Property("type") == j.Property("event_type"))));
        Assert.Equal(expected.Order(), ran.Distinct().Order());
    }

    [Fact]
    public async Task Every_example_of_jobs_md_is_accepted_and_the_runnable_ones_succeed()
    {
        var runs = await CreateAndRunAsync("jobs.md");
        Assert.NotEmpty(runs);
        foreach (var (job, product, run) in runs)
        {
            var key = $"{product}/{job.Property("tag")}/trigger-{run.Id}";
            Assert.Contains(Http.RequestsUnder(HttpBase), r => r.Headers.TryGetValue("Idempotency-Key", out var k) && k == key);
        }
    }

    private static string Variant(DocExample ev)
    {
        var definition = ev.Parse().GetProperty("definition");
        var type = ev.Property("type");
        string? sub = type switch
        {
            "notification" => definition.GetProperty("channel").GetString(),
            "database_action" => definition.GetProperty("provider").GetString(),
            "function" => definition.GetProperty("language").GetString(),
            "messagebroker" => definition.GetProperty("broker").GetString(),
            _ => null,
        };
        return sub is null ? type : $"{type}/{sub}";
    }

    /// <summary>Creates the page's events, then its jobs, in a product of its own; triggers each runnable job once.</summary>
    private async Task<List<(DocExample Job, string Product, JobRun Run)>> CreateAndRunAsync(string page)
    {
        var examples = DocPages.Read(page);
        foreach (var output in examples.Where(e => e.Kind == "output")) _ = output.Parse();
        var product = (await Server.CreateProductAsync()).Tag!;
        var secrets = examples.SelectMany(e => SecretReference().Matches(e.Json)).Select(m => m.Groups[1].Value).Distinct();
        foreach (var name in secrets)
            await (await Server.Admin.PutAsync(Routes.Secret(product, name), TestApi.Json(new { value = peers.SecretValue(name) }))).ExpectAsync(204);

        foreach (var ev in examples.Where(e => e.Kind == "event"))
            await ExpectCreatedAsync(Routes.Events(product), ev);
        var runs = new List<(DocExample, string, JobRun)>();
        foreach (var job in examples.Where(e => e.Kind == "job"))
        {
            await ExpectCreatedAsync(Routes.Jobs(product), job);
            if (!job.RunsHere) continue;
            var trigger = await Server.Admin.PostAsync(Routes.Job(product, job.Property("tag")) + "/trigger", null);
            await trigger.ExpectAsync(202);
            var started = await trigger.ReadAsync<JobRun>();
            var run = await TestApi.EventuallyAsync(() => Server.Admin.GetJsonAsync<JobRun>(Routes.Run(product, started.Id!)),
                r => r.Status != RunStatuses.Running, TimeSpan.FromSeconds(30));
            Assert.True(run.Status == RunStatuses.Succeeded,
                $"{job}: the triggered run ended {run.Status}: {run.Error?.Kind} {run.Error?.Message}");
            runs.Add((job, product, run));
        }
        return runs;
    }

    private async Task ExpectCreatedAsync(string route, DocExample example)
    {
        var response = await Server.Admin.PostAsync(route, TestApi.Raw(peers.Substitute(example.Json)));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == 201, $"{example}: expected 201, got {(int)response.StatusCode}: {body}");
    }
}
