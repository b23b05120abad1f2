using System.Text.Json;
using System.Text.RegularExpressions;
using Metronome.Contracts;
using Metronome.Server.Tests.Infrastructure;
using Metronome.Testing.Peers;
using Microsoft.Data.Sqlite;

namespace Metronome.Server.Tests.Docs;

/// <summary>
/// The examples of docs/events.md and docs/jobs.md work as written: each event and job is created on a real server
/// (201), and each job marked <c>runs here</c> is triggered once against a real peer and must succeed. The pages say
/// which addresses are replaced here (<see cref="Substitute"/>): a doc example that stops validating or running fails
/// the build.
/// </summary>
public sealed partial class DocsExamplesTests : IAsyncLifetime
{
    /// <summary>What Expo answers for one accepted message; any other HTTP example accepts it as a 2xx too.</summary>
    private const string ProviderAnswer = """{"data":[{"status":"ok","id":"ticket-1"}]}""";

    private readonly string _directory = Directory.CreateTempSubdirectory("metronome-docs-examples-").FullName;
    private readonly ProviderListener _http = new();
    private readonly SmtpSink _smtp = new();
    private readonly RedisServer _redis = new();
    private readonly NatsServer _nats = new();
    private TestServer _server = null!;
    private string _httpBase = "";

    private string SqlitePath => Path.Combine(_directory, "app.db");

    [GeneratedRegex(@"\{\{\s*secrets\.([A-Za-z0-9_]+)\s*\}\}")]
    private static partial Regex SecretReference();

    public async Task InitializeAsync()
    {
        await Task.WhenAll(_http.InitializeAsync(), _smtp.InitializeAsync(), _redis.InitializeAsync(), _nats.InitializeAsync());
        _server = await TestServer.StartAsync();
        _httpBase = _http.Mount(200, ProviderAnswer);
        await using var db = new SqliteConnection($"Data Source={SqlitePath}");
        await db.OpenAsync();
        await using var create = db.CreateCommand();
        create.CommandText = "CREATE TABLE ticks(slot INTEGER, note TEXT)";
        await create.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _http.DisposeAsync();
        await _smtp.DisposeAsync();
        await _redis.DisposeAsync();
        await _nats.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    /// <summary>The addresses the pages promise to replace, each by the peer this test started.</summary>
    private string Substitute(string json) => json
        .Replace("http://127.0.0.1:8080", _httpBase, StringComparison.Ordinal)
        .Replace("\"port\": 2525", $"\"port\": {_smtp.Port}", StringComparison.Ordinal)
        .Replace("nats://127.0.0.1:4222", _nats.ConnectionString, StringComparison.Ordinal)
        .Replace("127.0.0.1:6379", _redis.ConnectionString, StringComparison.Ordinal)
        .Replace("/var/app/app.db", SqlitePath, StringComparison.Ordinal);

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
                    Assert.Contains(_http.RequestsUnder(_httpBase), r => r.Headers.TryGetValue("Idempotency-Key", out var k) && k == key);
                    break;
                case "daily-mail":
                    var mail = await _smtp.WaitForAsync(m => m.Message.Headers["X-Idempotency-Key"] == key);
                    Assert.Equal("Hello ops", mail.Message.TextBody?.Trim());
                    break;
                case "tick":
                    Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM ticks WHERE slot = 0 AND note = 'from metronome'"));
                    break;
                case "sum":
                    Assert.Equal(5, run.Output!.Value.GetProperty("total").GetInt32());
                    break;
            }
        }
        var ping = _http.RequestsUnder(_httpBase).Single(r => r.Path.EndsWith("/api/ping", StringComparison.Ordinal));
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

        // What this test can run here must stay marked as run.
        var ran = jobs.Where(j => j.RunsHere).Select(j => Variant(events.Single(e => e.Property("tag") == j.Property("event_tag") && e.Property("type") == j.Property("event_type"))));
        Assert.Equal(expected.Except(["database_action/postgres", "messagebroker/rabbitmq"]).Order(), ran.Distinct().Order());
    }

    [Fact]
    public async Task Every_example_of_jobs_md_is_accepted_and_the_runnable_ones_succeed()
    {
        var runs = await CreateAndRunAsync("jobs.md");
        Assert.NotEmpty(runs);
        foreach (var (job, product, run) in runs)
        {
            var key = $"{product}/{job.Property("tag")}/trigger-{run.Id}";
            Assert.Contains(_http.RequestsUnder(_httpBase), r => r.Headers.TryGetValue("Idempotency-Key", out var k) && k == key);
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
        var product = (await _server.CreateProductAsync()).Tag!;
        var secrets = examples.SelectMany(e => SecretReference().Matches(e.Json)).Select(m => m.Groups[1].Value).Distinct();
        foreach (var name in secrets)
            await (await _server.Admin.PutAsync(Routes.Secret(product, name), TestApi.Json(new { value = "doc-secret-" + name }))).ExpectAsync(204);

        foreach (var ev in examples.Where(e => e.Kind == "event"))
            await ExpectCreatedAsync(Routes.Events(product), ev);
        var runs = new List<(DocExample, string, JobRun)>();
        foreach (var job in examples.Where(e => e.Kind == "job"))
        {
            await ExpectCreatedAsync(Routes.Jobs(product), job);
            if (!job.RunsHere) continue;
            var trigger = await _server.Admin.PostAsync(Routes.Job(product, job.Property("tag")) + "/trigger", null);
            await trigger.ExpectAsync(202);
            var started = await trigger.ReadAsync<JobRun>();
            var run = await TestApi.EventuallyAsync(() => _server.Admin.GetJsonAsync<JobRun>(Routes.Run(product, started.Id!)),
                r => r.Status != RunStatuses.Running, TimeSpan.FromSeconds(30));
            Assert.True(run.Status == RunStatuses.Succeeded,
                $"{job}: the triggered run ended {run.Status}: {run.Error?.Kind} {run.Error?.Message}");
            runs.Add((job, product, run));
        }
        return runs;
    }

    private async Task ExpectCreatedAsync(string route, DocExample example)
    {
        var response = await _server.Admin.PostAsync(route, TestApi.Raw(Substitute(example.Json)));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == 201, $"{example}: expected 201, got {(int)response.StatusCode}: {body}");
    }

    private async Task<long> ScalarAsync(string sql)
    {
        await using var db = new SqliteConnection($"Data Source={SqlitePath}");
        await db.OpenAsync();
        await using var command = db.CreateCommand();
        command.CommandText = sql;
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
