using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Metronome.Contracts;
using Metronome.Core.Jobs;
using Metronome.Core.Runs;

namespace Metronome.Benchmarks;

/// <summary>The API's JSON of jobs and runs (snake_case contracts through <see cref="MetronomeJson.Options"/>).</summary>
[MemoryDiagnoser]
public class JsonBenchmarks
{
    private static readonly DateTimeOffset At = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private ProductJob _job = null!;
    private JobRun _run = null!;
    private byte[] _jobUtf8 = null!;
    private byte[] _runUtf8 = null!;
    private ProductJob[] _page = null!;

    [GlobalSetup]
    public void Setup()
    {
        var job = new Job
        {
            Id = 42, Product = "shop", Tag = "nightly-report", Name = "Nightly report", EventType = "action", EventTag = "ping", Executions = 0,
            IntervalMs = 60_000, InputJson = """{"who":"world","n":3}""", TimeoutMs = 30_000, NextSlot = 17, NextDueAt = At, ExecutionsDone = 16,
            LastRunAt = At, LastRunStatus = "succeeded", CreatedAt = At, UpdatedAt = At,
        };
        _job = job.ToContract();
        _run = new Run
        {
            Id = "0195f3a2b4c67000a1b2c3d4e5f60718", JobId = 42, Product = "shop", JobTag = "nightly-report", Slot = 17, Attempt = 1,
            ScheduledAt = At, StartedAt = At, FinishedAt = At.AddMilliseconds(12), Node = "node-a", Status = RunStatus.Succeeded,
            OutputJson = """{"status":200}""",
        }.ToContract();
        _jobUtf8 = JsonSerializer.SerializeToUtf8Bytes(_job, MetronomeJson.Options);
        _runUtf8 = JsonSerializer.SerializeToUtf8Bytes(_run, MetronomeJson.Options);
        _page = Enumerable.Range(0, 100).Select(i => job with { Id = i, Tag = $"job-{i}" }).Select(j => j.ToContract()).ToArray();
    }

    [Benchmark(Description = "Serialize job")]
    public byte[] SerializeJob() => JsonSerializer.SerializeToUtf8Bytes(_job, MetronomeJson.Options);

    [Benchmark(Description = "Deserialize job")]
    public ProductJob? DeserializeJob() => JsonSerializer.Deserialize<ProductJob>(_jobUtf8, MetronomeJson.Options);

    [Benchmark(Description = "Serialize run")]
    public byte[] SerializeRun() => JsonSerializer.SerializeToUtf8Bytes(_run, MetronomeJson.Options);

    [Benchmark(Description = "Deserialize run")]
    public JobRun? DeserializeRun() => JsonSerializer.Deserialize<JobRun>(_runUtf8, MetronomeJson.Options);

    [Benchmark(Description = "Serialize page of 100 jobs")]
    public byte[] SerializePage() => JsonSerializer.SerializeToUtf8Bytes(_page, MetronomeJson.Options);
}
