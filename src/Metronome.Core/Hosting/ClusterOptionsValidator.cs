using Metronome.Core.Engine.Cluster;
using Microsoft.Extensions.Options;

namespace Metronome.Core.Hosting;

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
            .That(o.CatalogCacheTtl > TimeSpan.Zero, nameof(o.CatalogCacheTtl), o.CatalogCacheTtl, "must be positive")
            .That(o.PresenceTimeout >= TimeSpan.FromMilliseconds(100) && o.PresenceTimeout < o.NodeTimeout, nameof(o.PresenceTimeout), o.PresenceTimeout,
                $"must be at least 100 ms and less than {check.Name(nameof(o.NodeTimeout))}")
            .Result;
    }
}
