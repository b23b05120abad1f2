using System.Net;
using Metronome.Contracts;

namespace Metronome.Samples;

/// <summary>
/// Application code that schedules a report job. It sees only <see cref="IMetronome"/>, so it runs unchanged on an
/// embedded engine (<c>services.AddMetronome(...)</c>) and against a server (<c>new MetronomeClient(...)</c>).
/// </summary>
public sealed class ReportJobs(IMetronome metronome)
{
    /// <summary>Makes sure the product, the event and the job exist as described (creating or updating them).</summary>
    public async Task<ProductJob> ScheduleAsync(string product, ProductEvent ev, string jobTag, long executions, long intervalMs, CancellationToken ct = default)
    {
        try { await metronome.Products.FetchAsync(product, ct); }
        catch (MetronomeApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            await metronome.Products.CreateAsync(new Product { Tag = product, Name = product }, ct);
        }

        var api = metronome.Product(product);
        try { await api.Events.FetchAsync(ev.Type!, ev.Tag!, ct); }
        catch (MetronomeApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            await api.Events.CreateAsync(ev, ct);
        }

        try
        {
            return await api.Jobs.CreateAsync(new ProductJob
            {
                Name = "Report", Tag = jobTag, EventType = ev.Type, EventTag = ev.Tag, Executions = executions, Intervals = intervalMs, StartAt = "now",
            }, ct);
        }
        catch (MetronomeApiException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            return await api.Jobs.UpdateAsync(jobTag, new ProductJobUpdate { Executions = executions, Intervals = intervalMs }, ct);
        }
    }
}
