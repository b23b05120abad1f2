using System.Globalization;
using Metronome.Core.Engine.Cluster;

namespace Metronome.Server.Hosting;

/// <summary>
/// Cluster timing for <c>METRONOME_STORE=postgres</c>: the section <c>Metronome:Cluster</c> (e.g. <c>Metronome__Cluster__NodeTimeout=00:00:20</c>),
/// then the short variables <c>METRONOME_HEARTBEAT_MS</c>, <c>METRONOME_NODE_TIMEOUT_MS</c>, <c>METRONOME_LEASE_TTL_MS</c> and
/// <c>METRONOME_POLL_INTERVAL_MS</c>. Defaults are those of <see cref="ClusterOptions"/>.
/// </summary>
internal static class ClusterSettings
{
    private static readonly string[] Names = ["METRONOME_HEARTBEAT_MS", "METRONOME_NODE_TIMEOUT_MS", "METRONOME_LEASE_TTL_MS", "METRONOME_POLL_INTERVAL_MS"];

    public static void Apply(IConfiguration config, ClusterOptions o)
    {
        config.GetSection("Metronome:Cluster").Bind(o);
        if (Ms(config, Names[0]) is { } heartbeat) o.HeartbeatInterval = heartbeat;
        if (Ms(config, Names[1]) is { } timeout) o.NodeTimeout = timeout;
        if (Ms(config, Names[2]) is { } ttl) o.LeaseTtl = ttl;
        if (Ms(config, Names[3]) is { } poll) o.PollInterval = poll;
    }

    /// <summary>Checks the cluster settings at start so a typo stops the process with a message naming the variable.</summary>
    public static void Check(IConfiguration config, ServerSettings settings)
    {
        if (settings.Store != "postgres") return;
        if (settings.PostgresConnection is null)
            throw new ServerConfigurationException("METRONOME_POSTGRES (an Npgsql connection string) must be set when METRONOME_STORE=postgres.");
        try
        {
            _ = new Npgsql.NpgsqlConnectionStringBuilder(settings.PostgresConnection);
        }
        catch (ArgumentException e)
        {
            throw new ServerConfigurationException($"METRONOME_POSTGRES is not a valid connection string: {e.Message}");
        }
        var options = new ClusterOptions();
        try
        {
            Apply(config, options);
            options.Validate();
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new ServerConfigurationException(e.Message);
        }
    }

    private static TimeSpan? Ms(IConfiguration config, string name)
    {
        if (config[name] is not { Length: > 0 } text) return null;
        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0 && value <= int.MaxValue)
            return TimeSpan.FromMilliseconds(value);
        throw new ServerConfigurationException($"{name} must be a positive number of milliseconds, not '{text}'.");
    }
}
