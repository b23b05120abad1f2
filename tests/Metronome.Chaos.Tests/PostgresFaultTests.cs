using System.Diagnostics;
using Metronome.Testing.Cluster;
using Xunit.Abstractions;

namespace Metronome.Chaos.Tests;

/// <summary>
/// The database goes away under load, as a whole (<c>pg_ctl restart</c>) or connection by connection
/// (<c>pg_terminate_backend</c>): every node rides it out, loses no execution it owes and records no slot twice.
/// </summary>
public sealed class PostgresFaultTests(PostgresFixture pg, ITestOutputHelper output) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task Pg_ctl_restarts_under_load_lose_no_execution_and_record_no_slot_twice()
    {
        await using var chaos = await ChaosCluster.StartAsync(pg.Server, output, LoadShape.Spanning(8));

        await chaos.UnderChaosAsync("pg_ctl restart", async () =>
        {
            for (int i = 1; i <= 2; i++)
            {
                await Task.Delay(TimeSpan.FromSeconds(2));
                var clock = Stopwatch.StartNew();
                await chaos.Cluster.RestartPostgresAsync();
                chaos.Log($"pg_ctl restart #{i} took {clock.Elapsed.TotalSeconds:F1} s");
            }
            await Task.Delay(TimeSpan.FromSeconds(2));
        });

        await chaos.CheckInvariantsAsync();
    }

    [Fact]
    public async Task Pg_terminate_backend_of_every_node_connection_under_load_loses_no_execution_and_records_no_slot_twice()
    {
        await using var chaos = await ChaosCluster.StartAsync(pg.Server, output, LoadShape.Spanning(8));

        await chaos.UnderChaosAsync("pg_terminate_backend", async () =>
        {
            for (int i = 1; i <= 3; i++)
            {
                await Task.Delay(TimeSpan.FromSeconds(2));
                var cut = await chaos.Cluster.TerminateNodeConnectionsAsync();
                chaos.Log($"pg_terminate_backend #{i}: {cut} node connections cut");
                Assert.True(cut >= chaos.Cluster.Nodes.Count, $"only {cut} connections cut: every node holds at least its listening one");
            }
            await Task.Delay(TimeSpan.FromSeconds(2));
        });

        await chaos.CheckInvariantsAsync();
    }
}
