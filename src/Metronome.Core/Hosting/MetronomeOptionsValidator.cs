using Metronome.Core.Engine.Cluster;
using Microsoft.Extensions.Options;

namespace Metronome.Core.Hosting;

/// <summary>Checks <see cref="MetronomeOptions"/> when the host starts; every failure names its setting.</summary>
internal sealed class MetronomeOptionsValidator(SettingNames? names = null) : IValidateOptions<MetronomeOptions>
{
    public ValidateOptionsResult Validate(string? name, MetronomeOptions o) => new OptionsCheck<MetronomeOptions>(names)
        .That(!string.IsNullOrWhiteSpace(o.NodeName), nameof(o.NodeName), o.NodeName, "must not be empty")
        .That(o.MinIntervalMs is >= 1 and <= Jobs.JobLimits.MaxIntervalMs, nameof(o.MinIntervalMs), o.MinIntervalMs,
            $"must be between 1 and {Jobs.JobLimits.MaxIntervalMs}")
        .That(o.DefaultTimeoutMs >= 1, nameof(o.DefaultTimeoutMs), o.DefaultTimeoutMs, "must be positive")
        .That(o.MaxConcurrency >= 1, nameof(o.MaxConcurrency), o.MaxConcurrency, "must be positive")
        .That(o.ProductMaxConcurrency is null or (>= 1 and <= Catalog.ProductLimits.MaxConcurrency), nameof(o.ProductMaxConcurrency),
            o.ProductMaxConcurrency, $"must be between 1 and {Catalog.ProductLimits.MaxConcurrency}")
        .That(o.ProductLimitsRefresh > TimeSpan.Zero, nameof(o.ProductLimitsRefresh), o.ProductLimitsRefresh, "must be positive")
        .That(o.MisfireThreshold >= TimeSpan.Zero, nameof(o.MisfireThreshold), o.MisfireThreshold, "must not be negative")
        .That(o.ClaimLookahead >= TimeSpan.Zero && o.ClaimLookahead <= TimeSpan.FromSeconds(10), nameof(o.ClaimLookahead), o.ClaimLookahead,
            "must be between 0 and 10 s")
        .That(o.ClaimBatchSize >= 1, nameof(o.ClaimBatchSize), o.ClaimBatchSize, "must be positive")
        .That(o.CompletionBatchSize >= 1, nameof(o.CompletionBatchSize), o.CompletionBatchSize, "must be positive")
        .That(o.MaxBacklog >= 1, nameof(o.MaxBacklog), o.MaxBacklog, "must be positive")
        .That(o.RetentionRunsPerJob >= 1, nameof(o.RetentionRunsPerJob), o.RetentionRunsPerJob, "must be positive")
        .That(o.RetentionAge > TimeSpan.Zero, nameof(o.RetentionAge), o.RetentionAge, "must be positive")
        .That(o.PruneInterval > TimeSpan.Zero, nameof(o.PruneInterval), o.PruneInterval, "must be positive")
        .Result;
}

/// <summary>Checks <see cref="ClusterOptions"/> when the host starts; every failure names its setting.</summary>
internal sealed class ClusterOptionsValidator(SettingNames? names = null) : IValidateOptions<ClusterOptions>
{
    public ValidateOptionsResult Validate(string? name, ClusterOptions o)
    {
        var check = new OptionsCheck<ClusterOptions>(names);
        return check
            .That(o.HeartbeatInterval > TimeSpan.Zero, nameof(o.HeartbeatInterval), o.HeartbeatInterval, "must be positive")
            .That(o.NodeTimeout >= o.HeartbeatInterval * 2, nameof(o.NodeTimeout), o.NodeTimeout,
                $"must be at least twice {check.Name(nameof(o.HeartbeatInterval))} (one late heartbeat must not kill a node)")
            .That(o.LeaseTtl >= TimeSpan.FromMilliseconds(300), nameof(o.LeaseTtl), o.LeaseTtl, "must be at least 300 ms")
            .That(o.PollInterval > TimeSpan.Zero, nameof(o.PollInterval), o.PollInterval, "must be positive")
            .That(o.ClaimTakeoverGrace > TimeSpan.Zero, nameof(o.ClaimTakeoverGrace), o.ClaimTakeoverGrace, "must be positive")
            .Result;
    }
}
