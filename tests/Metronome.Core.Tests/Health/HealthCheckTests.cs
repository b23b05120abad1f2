using Metronome.Core.Engine;
using Metronome.Core.Engine.Cluster;
using Metronome.Core.Health;
using Metronome.Core.Tests.Engine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Metronome.Core.Tests.Health;

/// <summary>The liveness check on the due loop's heartbeat, and the cluster readiness check on a node's presence, on a fake clock.</summary>
public sealed class HealthCheckTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private static async Task<HealthCheckResult> CheckAsync(IHealthCheck check) => await check.CheckHealthAsync(new HealthCheckContext());

    [Fact]
    public async Task Liveness_fails_once_the_loop_has_not_beaten_for_the_allowed_silence()
    {
        var heartbeat = new EngineHeartbeat(_time);
        var check = new EngineLivenessCheck(heartbeat);
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(check)).Status); // not started yet: starting, not dead
        heartbeat.Beat();

        _time.Advance(EngineLivenessCheck.AllowedSilence);
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(check)).Status);
        _time.Advance(TimeSpan.FromSeconds(1));
        var stuck = await CheckAsync(check);

        Assert.Equal(HealthStatus.Unhealthy, stuck.Status);
        Assert.Contains("has not beaten for 61 s", stuck.Description);
        heartbeat.Beat();
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(check)).Status);
    }

    [Fact]
    public async Task An_idle_engine_loop_keeps_beating_and_liveness_fails_once_the_loop_stopped()
    {
        await using var harness = await EngineHarness.StartAsync(time: _time);
        var heartbeat = harness.Services.GetRequiredService<EngineHeartbeat>();
        var check = new EngineLivenessCheck(heartbeat);

        // Nothing is due for ever: the loop still wakes every period, so three minutes pass without a failed check.
        for (int i = 0; i < 36; i++)
        {
            await harness.Probe.WaitForIdleAsync().WaitAsync(Patience); // the loop sleeps: its timer is set
            var beat = heartbeat.NextBeat;
            _time.Advance(EngineHeartbeat.Period);
            await beat.WaitAsync(Patience);
            var result = await CheckAsync(check);
            Assert.True(result.Status == HealthStatus.Healthy, result.Description);
        }
        Assert.Equal(_time.GetUtcNow(), heartbeat.LastBeat);

        await harness.Services.GetRequiredService<DueScheduler>().StopAsync();
        var stopped = await CheckAsync(check);

        Assert.Equal(HealthStatus.Unhealthy, stopped.Status);
        Assert.Equal("the engine loop has ended", stopped.Description);
    }

    [Fact]
    public async Task A_cluster_node_is_ready_only_while_it_holds_its_presence()
    {
        var cluster = new FakeCluster();
        var presence = new NodePresence(cluster, "node-a", new ClusterOptions(), _time, NullLogger.Instance);
        var check = new ClusterReadinessCheck(presence, cluster);

        var before = await CheckAsync(check);
        Assert.Equal(HealthStatus.Unhealthy, before.Status);
        Assert.Contains("no presence", before.Description);

        await presence.JoinAsync(default);
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(check)).Status);

        cluster.Current.Broken = true;
        Assert.False(await presence.ConfirmAsync(cluster.Current, default));
        Assert.Equal(HealthStatus.Unhealthy, (await CheckAsync(check)).Status);

        await presence.RejoinAsync(default);
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(check)).Status);
    }

    [Fact]
    public async Task A_single_node_needs_no_presence_to_be_ready()
    {
        var presence = new NodePresence(null, "solo", new ClusterOptions(), _time, NullLogger.Instance);

        var result = await CheckAsync(new ClusterReadinessCheck(presence, null));

        Assert.Equal(HealthStatus.Healthy, result.Status);
    }
}
