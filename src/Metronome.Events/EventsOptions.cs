using Metronome.Events.Database;
using Metronome.Events.Egress;

namespace Metronome.Events;

/// <summary>
/// What the executors may reach. Defaults suit a single-tenant, self-hosted node: loopback and private networks are
/// reachable and SQLite files may live anywhere except the protected paths. A server shared by tenants should set
/// <see cref="SqliteRoot"/> and <see cref="EgressDeny"/> (see <c>docs/security/egress-and-data.md</c>). Checked when the host
/// starts; the server binds them from the section <c>Metronome:Events</c>.
/// </summary>
public sealed class EventsOptions
{
    /// <summary>The server's variable for <see cref="SqliteRoot"/>, named in refusals (configuration key <c>Metronome:Events:SqliteRoot</c>).</summary>
    public const string SqliteRootSetting = "METRONOME_SQLITE_ROOT";

    /// <summary>The server's variable for <see cref="EgressAllow"/> (comma-separated CIDRs, addresses or host names), named in refusals.</summary>
    public const string EgressAllowSetting = "METRONOME_EGRESS_ALLOW";

    /// <summary>The server's variable for <see cref="EgressDeny"/> (comma-separated CIDRs, addresses or host names), named in refusals.</summary>
    public const string EgressDenySetting = "METRONOME_EGRESS_DENY";

    /// <summary>
    /// Directories (and files) a <c>database_action</c> on SQLite may never open, whatever the root: the server adds its
    /// data directory here. <c>/proc</c>, <c>/sys</c> and <c>/dev</c> are always refused as well.
    /// </summary>
    public IList<string> ProtectedPaths { get; } = [];

    /// <summary>When set, SQLite databases must resolve (symlinks followed) to a path under this directory. Default: none.</summary>
    public string? SqliteRoot { get; set; }

    /// <summary>When not empty, HTTP executors reach only destinations matching an entry (CIDR, address or host name).</summary>
    public IList<string> EgressAllow { get; } = [];

    /// <summary>Destinations HTTP executors never reach; wins over <see cref="EgressAllow"/>. Link-local and cloud metadata addresses are always denied.</summary>
    public IList<string> EgressDeny { get; } = [];
}
