using Metronome.Core.Storage;

namespace Metronome.Storage.Conformance;

public abstract partial class JobStoreConformanceTests
{
    [Fact]
    public async Task A_migrated_store_is_ready_and_its_probe_leaves_the_data_as_it_was()
    {
        await Jobs.CreateJobAsync(NewJob("kept"), default);

        var readiness = await Jobs.CheckReadinessAsync(default);
        var again = await Jobs.CheckReadinessAsync(default);

        Assert.True(readiness.IsReady, readiness.Description);
        Assert.Equal(readiness, again);
        var jobs = await Jobs.ListJobsAsync(new JobQuery(Product, null, 10, null), default);
        Assert.Equal(["kept"], jobs.Items.Select(j => j.Tag));
        await Jobs.CreateJobAsync(NewJob("after"), default); // the probe's transaction holds nothing back
    }
}
