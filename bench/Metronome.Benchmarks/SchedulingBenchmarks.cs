using BenchmarkDotNet.Attributes;
using Metronome.Core.Jobs;
using Metronome.Core.Scheduling;

namespace Metronome.Benchmarks;

/// <summary>The pure schedule maths the stores run inside every claim: one plan per due job.</summary>
[MemoryDiagnoser]
public class SchedulingBenchmarks
{
    private static readonly DateTimeOffset Start = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly Job _allow = NewJob(OverlapPolicy.Allow, MisfirePolicy.FireOnce);
    private readonly Job _skipBusy = NewJob(OverlapPolicy.Skip, MisfirePolicy.FireOnce) with { InFlight = 1 };
    private readonly Job _catchUp = NewJob(OverlapPolicy.Allow, MisfirePolicy.CatchUp);

    private static Job NewJob(OverlapPolicy overlap, MisfirePolicy misfire) => new()
    {
        Product = "p", Tag = "t", Name = "n", EventType = "action", EventTag = "e", IntervalMs = 1000, Overlap = overlap, Misfire = misfire,
        NextSlot = 1, NextDueAt = Start,
    };

    // The plans are returned as object: SlotPlan is internal to Core (this project sees it through InternalsVisibleTo).
    [Benchmark(Description = "Plan: one due slot (the common case)")]
    public object PlanOneSlot() => SlotPlanner.Plan(_allow, Start, TimeSpan.FromSeconds(5));

    [Benchmark(Description = "Plan: not yet due")]
    public object PlanNotDue() => SlotPlanner.Plan(_allow, Start - TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(5));

    [Benchmark(Description = "Plan: overlap skip while busy, 3 slots")]
    public object PlanSkipBusy() => SlotPlanner.Plan(_skipBusy, Start + TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5));

    [Benchmark(Description = "Plan: catch-up after 1 h outage (64-slot cap)")]
    public object PlanCatchUp() => SlotPlanner.Plan(_catchUp, Start + TimeSpan.FromHours(1), TimeSpan.FromSeconds(5));

    [Benchmark(Description = "Next grid point after resume")]
    public (long, DateTimeOffset) NextGridPoint() => SlotPlanner.NextGridPointAfter(1, Start, 1000, Start + TimeSpan.FromDays(3));
}
