using Metronome.Contracts;
using Metronome.Server.Tests.Infrastructure;

namespace Metronome.Server.Tests;

/// <summary>Changes the engine makes on its own (automatic pause after failures, resume at until) are in the audit log as <c>engine</c>.</summary>
public sealed class EngineAuditApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private HttpClient Admin => fixture.Server.Admin;

    [Fact]
    public async Task The_automatic_pause_appears_in_the_audit_log_with_actor_engine_and_its_reason()
    {
        var product = (await fixture.Server.CreateProductAsync()).Tag!;
        var failing = await Admin.CreateActionEventAsync(product, new Uri(fixture.Target.Url + "?fail_first=1000000"));
        var definition = TestApi.Job(failing.Tag!, intervals: 300, startAt: "now");
        definition.PauseAfterFailures = 2;
        var job = await Admin.CreateJobAsync(product, definition);

        await TestApi.EventuallyAsync(() => Admin.GetJsonAsync<ProductJob>(Routes.Job(product, job.Tag!)), j => j.Status == "paused", Patience);
        var log = await TestApi.EventuallyAsync(() => Admin.GetJsonAsync<Page<AuditLogEntry>>(Routes.Audit(product)),
            p => p.Items.Any(e => e.Action == "job.pause"), Patience);

        var pause = Assert.Single(log.Items, e => e.Action == "job.pause");
        Assert.Equal(("engine", job.Tag), (pause.Actor, pause.Target));
        Assert.Equal("active", pause.Changes["status"].Old!.Value.GetString());
        Assert.Equal("paused", pause.Changes["status"].New!.Value.GetString());
        Assert.Contains("consecutive", pause.Reason);
        Assert.Equal("admin", log.Items.Single(e => e.Action == "job.create").Actor);
    }

    [Fact]
    public async Task A_pause_with_until_is_recorded_as_admin_and_the_resume_at_until_as_engine()
    {
        var product = (await fixture.Server.CreateProductAsync()).Tag!;
        var ev = await Admin.CreateActionEventAsync(product, fixture.Target.Url);
        var job = await Admin.CreateJobAsync(product, TestApi.Job(ev.Tag!));
        var until = DateTimeOffset.UtcNow.AddSeconds(2);
        await (await Admin.PostAsync(Routes.Job(product, job.Tag!) + "/pause", TestApi.Json(new { until = until.ToString("O") }))).ExpectAsync(200);

        var log = await TestApi.EventuallyAsync(() => Admin.GetJsonAsync<Page<AuditLogEntry>>(Routes.Audit(product)),
            p => p.Items.Any(e => e.Action == "job.resume"), Patience);

        var resume = Assert.Single(log.Items, e => e.Action == "job.resume");
        var pause = Assert.Single(log.Items, e => e.Action == "job.pause");
        Assert.Equal(("engine", "admin"), (resume.Actor, pause.Actor));
        Assert.Equal("paused", pause.Changes["status"].New!.Value.GetString());
        Assert.True(pause.Changes.ContainsKey("paused_until"));
        Assert.Equal("active", resume.Changes["status"].New!.Value.GetString());
    }
}
