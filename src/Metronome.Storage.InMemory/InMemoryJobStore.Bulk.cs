using Metronome.Core.Jobs;
using Metronome.Core.Storage;

namespace Metronome.Storage.InMemory;

public sealed partial class InMemoryJobStore
{
    /// <inheritdoc />
    public Task<IReadOnlyList<JobCreateResult>> CreateJobsAsync(IReadOnlyList<Job> jobs, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        var results = new JobCreateResult[jobs.Count];
        lock (_gate)
        {
            for (int i = 0; i < jobs.Count; i++)
            {
                var job = jobs[i];
                if (!_jobIds.TryAdd((job.Product, job.Tag), _lastJobId + 1))
                {
                    results[i] = JobCreateResult.TagTaken(job);
                    continue;
                }
                var created = job with { Id = ++_lastJobId }; // never reused, as in CreateJobAsync
                _jobs.Add(created.Id, created);
                results[i] = JobCreateResult.Of(created);
            }
        }
        return Task.FromResult<IReadOnlyList<JobCreateResult>>(results);
    }
}
