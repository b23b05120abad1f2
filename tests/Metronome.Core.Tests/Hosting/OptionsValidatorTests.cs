using Metronome.Core.Engine.Cluster;
using Metronome.Core.Hosting;

namespace Metronome.Core.Tests.Hosting;

/// <summary>Each rule of the engine's options, one bad value at a time: the failure names the property and the value.</summary>
public sealed class OptionsValidatorTests
{
    public static TheoryData<string, Action<MetronomeOptions>, string> EngineCases => new()
    {
        { "NodeName", o => o.NodeName = " ", "MetronomeOptions.NodeName must not be empty, not ' '." },
        { "MinIntervalMs", o => o.MinIntervalMs = 31_622_400_001, "MetronomeOptions.MinIntervalMs must be between 1 and 31622400000, not '31622400001'." },
        { "DefaultTimeoutMs", o => o.DefaultTimeoutMs = 0, "MetronomeOptions.DefaultTimeoutMs must be positive, not '0'." },
        { "MaxConcurrency", o => o.MaxConcurrency = -1, "MetronomeOptions.MaxConcurrency must be positive, not '-1'." },
        { "ProductMaxConcurrency", o => o.ProductMaxConcurrency = 10_001, "MetronomeOptions.ProductMaxConcurrency must be between 1 and 10000, not '10001'." },
        { "ProductLimitsRefresh", o => o.ProductLimitsRefresh = TimeSpan.Zero, "MetronomeOptions.ProductLimitsRefresh must be positive, not '00:00:00'." },
        { "MisfireThreshold", o => o.MisfireThreshold = TimeSpan.FromSeconds(-2), "MetronomeOptions.MisfireThreshold must not be negative, not '-00:00:02'." },
        { "ClaimLookahead", o => o.ClaimLookahead = TimeSpan.FromSeconds(11), "MetronomeOptions.ClaimLookahead must be between 0 and 10 s, not '00:00:11'." },
        { "ClaimBatchSize", o => o.ClaimBatchSize = 0, "MetronomeOptions.ClaimBatchSize must be positive, not '0'." },
        { "CompletionBatchSize", o => o.CompletionBatchSize = 0, "MetronomeOptions.CompletionBatchSize must be positive, not '0'." },
        { "MaxBacklog", o => o.MaxBacklog = 0, "MetronomeOptions.MaxBacklog must be positive, not '0'." },
        { "RetentionRunsPerJob", o => o.RetentionRunsPerJob = 0, "MetronomeOptions.RetentionRunsPerJob must be positive, not '0'." },
        { "RetentionAge", o => o.RetentionAge = TimeSpan.Zero, "MetronomeOptions.RetentionAge must be positive, not '00:00:00'." },
        { "PruneInterval", o => o.PruneInterval = TimeSpan.FromMinutes(-1), "MetronomeOptions.PruneInterval must be positive, not '-00:01:00'." },
    };

    [Fact]
    public void Default_options_are_valid()
    {
        Assert.True(new MetronomeOptionsValidator().Validate(null, new MetronomeOptions()).Succeeded);
        Assert.True(new ClusterOptionsValidator().Validate(null, new ClusterOptions()).Succeeded);
    }

    [Theory]
    [MemberData(nameof(EngineCases))]
    public void A_bad_engine_option_is_named_with_its_value(string property, Action<MetronomeOptions> change, string message)
    {
        var options = new MetronomeOptions();
        change(options);

        var result = new MetronomeOptionsValidator().Validate(null, options);

        Assert.StartsWith($"MetronomeOptions.{property} ", message, StringComparison.Ordinal);
        Assert.Equal([message], result.Failures);
    }

    [Fact]
    public void Every_bad_cluster_option_is_reported_at_once()
    {
        var options = new ClusterOptions
        {
            HeartbeatInterval = TimeSpan.FromSeconds(10), NodeTimeout = TimeSpan.FromSeconds(15), LeaseTtl = TimeSpan.FromMilliseconds(100),
            PollInterval = TimeSpan.Zero, ClaimTakeoverGrace = TimeSpan.Zero,
        };

        var result = new ClusterOptionsValidator().Validate(null, options);

        Assert.Equal(
        [
            "ClusterOptions.NodeTimeout must be at least twice ClusterOptions.HeartbeatInterval (one late heartbeat must not kill a node), not '00:00:15'.",
            "ClusterOptions.LeaseTtl must be at least 300 ms, not '00:00:00.1000000'.",
            "ClusterOptions.PollInterval must be positive, not '00:00:00'.",
            "ClusterOptions.ClaimTakeoverGrace must be positive, not '00:00:00'.",
        ], result.Failures);
    }

    [Fact]
    public void A_host_may_name_the_settings_its_own_way()
    {
        var result = new MetronomeOptionsValidator(new PrefixedNames()).Validate(null, new MetronomeOptions { MaxBacklog = 0 });

        Assert.Equal(["setting MaxBacklog must be positive, not '0'."], result.Failures);
    }

    private sealed class PrefixedNames : SettingNames
    {
        public override string Name(Type options, string property) => $"setting {property}";
    }
}
