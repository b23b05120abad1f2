using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Metronome.Contracts;
using Metronome.Server.Tests.Infrastructure;

namespace Metronome.Server.Tests;

public sealed class ValidationTests(ServerFixture fixture) : IClassFixture<ServerFixture>, IAsyncLifetime
{
    private const string Product = "validation";
    private const string Event = "target";
    private TestServer Server => fixture.Server;
    private HttpClient Admin => fixture.Server.Admin;

    public async Task InitializeAsync()
    {
        if ((await Admin.GetAsync(Routes.Product(Product))).IsSuccessStatusCode) return;
        await Server.CreateProductAsync(Product);
        await Admin.CreateActionEventAsync(Product, fixture.Target.Url, Event);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>A valid job body; each case changes one field.</summary>
    private static JsonObject ValidJob() => new()
    {
        ["name"] = "Job",
        ["tag"] = TestApi.Unique("v"),
        ["event_type"] = "action",
        ["event_tag"] = Event,
        ["executions"] = 1,
        ["intervals"] = 3_600_000,
    };

    public static TheoryData<string, string, string> InvalidFields => new()
    {
        // case, field, JSON value (or "<absent>")
        { "name empty", "name", "\"\"" },
        { "name missing", "name", "<absent>" },
        { "name 201 chars", "name", JsonSerializer.Serialize(new string('n', 201)) },
        { "tag bad pattern", "tag", "\"Not A Tag\"" },
        { "tag starts with dash", "tag", "\"-tag\"" },
        { "tag too long", "tag", JsonSerializer.Serialize(new string('t', 101)) },
        { "tag missing", "tag", "<absent>" },
        { "event_type bad", "event_type", "\"carrier_pigeon\"" },
        { "event_type missing", "event_type", "<absent>" },
        { "event_tag missing", "event_tag", "<absent>" },
        { "event_tag of no event", "event_tag", "\"no-such-event\"" },
        { "executions -1", "executions", "-1" },
        { "executions 1000000001", "executions", "1000000001" },
        { "executions missing", "executions", "<absent>" },
        { "executions fractional", "executions", "1.5" },
        { "intervals below min", "intervals", "99" },
        { "intervals zero", "intervals", "0" },
        { "intervals above max", "intervals", "31622400001" },
        { "intervals missing", "intervals", "<absent>" },
        { "intervals string", "intervals", "\"1000\"" },
        { "start_at garbage", "start_at", "\"next tuesday-ish\"" },
        { "end_at garbage", "end_at", "\"soon\"" },
        { "input not an object", "input", "[1,2]" },
        { "input a string", "input", "\"x\"" },
        { "overlap bad", "overlap", "\"sometimes\"" },
        { "misfire bad", "misfire", "\"whenever\"" },
        { "retries not an object", "retries", "3" },
        { "retries.max_attempts 0", "retries.max_attempts", "{\"max_attempts\":0}" },
        { "retries.max_attempts 101", "retries.max_attempts", "{\"max_attempts\":101}" },
        { "retries.backoff_ms negative", "retries.backoff_ms", "{\"backoff_ms\":-1}" },
        { "retries.max_backoff_ms below backoff", "retries.max_backoff_ms", "{\"backoff_ms\":5000,\"max_backoff_ms\":10}" },
        { "retries unknown member", "retries.bogus", "{\"bogus\":1}" },
        { "timeout_ms zero", "timeout_ms", "0" },
        { "timeout_ms above a day", "timeout_ms", "86400001" },
        { "timeout_ms string", "timeout_ms", "\"fast\"" },
    };

    [Theory]
    [MemberData(nameof(InvalidFields))]
    public async Task Invalid_job_field_answers_400_naming_the_field(string @case, string field, string value)
    {
        var job = ValidJob();
        var top = field.Split('.')[0];
        if (value == "<absent>") job.Remove(top);
        else job[top] = JsonNode.Parse(value);
        var response = await Admin.PostAsync(Routes.Jobs(Product), TestApi.Raw(job.ToJsonString()));
        var body = await response.ExpectAsync(400);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = Errors(body);
        Assert.True(errors.ContainsKey(field), $"{@case}: expected an error on '{field}', got {body}");
    }

    [Fact]
    public async Task End_at_before_start_at_answers_400_naming_end_at()
    {
        var job = ValidJob();
        job["start_at"] = "2030-01-02T00:00:00Z";
        job["end_at"] = "2030-01-01T00:00:00Z";
        var body = await (await Admin.PostAsync(Routes.Jobs(Product), TestApi.Raw(job.ToJsonString()))).ExpectAsync(400);
        Assert.True(Errors(body).ContainsKey("end_at"), body);
    }

    [Fact]
    public async Task Every_invalid_field_is_reported_at_once()
    {
        var body = await (await Admin.PostAsync(Routes.Jobs(Product), TestApi.Raw("""{"name":"","tag":"X","executions":-1,"intervals":1}"""))).ExpectAsync(400);
        var errors = Errors(body);
        foreach (var field in new[] { "name", "tag", "event_type", "event_tag", "executions", "intervals" })
            Assert.True(errors.ContainsKey(field), $"missing {field} in {body}");
    }

    [Fact]
    public async Task Valid_optional_fields_are_accepted_and_echoed()
    {
        var job = ValidJob();
        job["event_type"] = "ACTION";
        job["start_at"] = "2031-05-01T10:00:00Z";
        job["end_at"] = "2031-06-01T10:00:00Z";
        job["input"] = new JsonObject { ["who"] = "world" };
        job["overlap"] = "queue";
        job["misfire"] = "catch_up";
        job["retries"] = new JsonObject { ["max_attempts"] = 3, ["backoff_ms"] = 100, ["max_backoff_ms"] = 1000 };
        job["timeout_ms"] = 5000;
        var response = await Admin.PostAsync(Routes.Jobs(Product), TestApi.Raw(job.ToJsonString()));
        await response.ExpectAsync(201);
        var created = await response.ReadAsync<ProductJob>();
        Assert.Equal("action", created.EventType);
        Assert.Equal("queue", created.Overlap);
        Assert.Equal("catch_up", created.Misfire);
        Assert.Equal(3, created.Retries!.MaxAttempts);
        Assert.Equal(5000, created.TimeoutMs);
        Assert.Equal("world", created.Input!.Value.GetProperty("who").GetString());
        Assert.Equal(DateTimeOffset.Parse("2031-05-01T10:00:00Z"), created.NextRunAt);
    }

    [Fact]
    public async Task Invalid_update_answers_400_naming_the_field()
    {
        var tag = TestApi.Unique("upd");
        var job = ValidJob();
        job["tag"] = tag;
        await (await Admin.PostAsync(Routes.Jobs(Product), TestApi.Raw(job.ToJsonString()))).ExpectAsync(201);
        var body = await (await Admin.PatchAsync(Routes.Job(Product, tag), TestApi.Raw("""{"intervals":5,"overlap":"x"}"""))).ExpectAsync(400);
        Assert.True(Errors(body).ContainsKey("intervals"));
        Assert.True(Errors(body).ContainsKey("overlap"));
        var unknown = await (await Admin.PatchAsync(Routes.Job(Product, tag), TestApi.Raw("""{"tag":"renamed"}"""))).ExpectAsync(400);
        Assert.True(Errors(unknown).ContainsKey("tag"), unknown);
    }

    [Theory]
    [InlineData("{bad json", "body")]
    [InlineData("{\"name\":\"x\",}", "body")]
    [InlineData("{\"name\":\"x\"} trailing", "body")]
    [InlineData("{\"input\": {", "input")]
    [InlineData("[1,2,3]", "body")]
    [InlineData("\"just a string\"", "body")]
    [InlineData("null", "body")]
    [InlineData("   ", "body")]
    public async Task Malformed_json_answers_400(string json, string field)
    {
        var response = await Admin.PostAsync(Routes.Jobs(Product), TestApi.Raw(json));
        var body = await response.ExpectAsync(400);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(Errors(body).ContainsKey(field), body);
    }

    [Fact]
    public async Task Missing_body_answers_400()
    {
        var empty = new StringContent("", System.Text.Encoding.UTF8, "application/json");
        var body = await (await Admin.PostAsync(Routes.Jobs(Product), empty)).ExpectAsync(400);
        Assert.True(Errors(body).ContainsKey("body"), body);
    }

    [Fact]
    public async Task A_request_without_a_json_content_type_answers_415()
    {
        await (await Admin.PostAsync(Routes.Jobs(Product), null)).ExpectAsync(415);
        var text = new StringContent(ValidJob().ToJsonString(), System.Text.Encoding.UTF8, "text/plain");
        await (await Admin.PostAsync(Routes.Jobs(Product), text)).ExpectAsync(415);
    }

    [Fact]
    public async Task Unknown_field_answers_400_naming_it()
    {
        var job = ValidJob();
        job["colour"] = "blue";
        var body = await (await Admin.PostAsync(Routes.Jobs(Product), TestApi.Raw(job.ToJsonString()))).ExpectAsync(400);
        var errors = Errors(body);
        Assert.Contains("colour", Assert.Contains("colour", errors)[0]);
    }

    [Theory]
    [InlineData("name", "42", "a string")]
    [InlineData("executions", "\"three\"", "an integer")]
    [InlineData("intervals", "true", "an integer")]
    [InlineData("executions", "99999999999999999999999", "an integer")]
    public async Task Wrong_json_type_answers_400_naming_the_field(string field, string value, string expected)
    {
        var job = ValidJob();
        job[field] = JsonNode.Parse(value);
        var body = await (await Admin.PostAsync(Routes.Jobs(Product), TestApi.Raw(job.ToJsonString()))).ExpectAsync(400);
        Assert.Contains(expected, Assert.Contains(field, Errors(body))[0]);
    }

    [Fact]
    public async Task Body_over_one_mebibyte_answers_413_problem()
    {
        var job = ValidJob();
        job["input"] = new JsonObject { ["padding"] = new string('x', 1024 * 1024 + 16) };
        // The server answers 413 from the declared length without reading the body. Without "Expect: 100-continue" the
        // client may still be writing when the server closes the connection (a broken pipe on a loaded machine); with it
        // the client waits for the server's answer before it sends the body, as a well-behaved large upload does.
        using var request = new HttpRequestMessage(HttpMethod.Post, Routes.Jobs(Product))
        {
            Content = new StringContent(job.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.ExpectContinue = true;
        var response = await Admin.SendAsync(request);
        await response.ExpectAsync(413);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Body_just_under_one_mebibyte_is_read()
    {
        var job = ValidJob();
        job["input"] = new JsonObject { ["padding"] = new string('x', 1000 * 1000) };
        await (await Admin.PostAsync(Routes.Jobs(Product), TestApi.Raw(job.ToJsonString()))).ExpectAsync(201);
    }

    internal static Dictionary<string, string[]> Errors(string problemJson)
    {
        using var doc = JsonDocument.Parse(problemJson);
        return doc.RootElement.GetProperty("errors").Deserialize<Dictionary<string, string[]>>()!;
    }
}
