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
