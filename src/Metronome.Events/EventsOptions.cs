using Metronome.Events.Database;
using Metronome.Events.Egress;

namespace Metronome.Events;

/// <summary>
/// What the executors may reach. Defaults suit a single-tenant, self-hosted node: loopback and private networks are
/// reachable and SQLite files may live anywhere except the protected paths. A server shared by tenants should set
/// <see cref="SqliteRoot"/> and <see cref="EgressDeny"/> (see <c>docs/security/egress-and-data.md</c>).
/// </summary>
public sealed class EventsOptions
{
    /// <summary>Setting (environment or configuration key) read by <see cref="ReadSettings"/> into <see cref="SqliteRoot"/>.</summary>
    public const string SqliteRootSetting = "METRONOME_SQLITE_ROOT";

    /// <summary>Setting read into <see cref="EgressAllow"/> (comma-separated CIDRs, addresses or host names).</summary>
    public const string EgressAllowSetting = "METRONOME_EGRESS_ALLOW";

    /// <summary>Setting read into <see cref="EgressDeny"/> (comma-separated CIDRs, addresses or host names).</summary>
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

    /// <summary>Reads <see cref="SqliteRootSetting"/>, <see cref="EgressAllowSetting"/> and <see cref="EgressDenySetting"/> through <paramref name="setting"/>.</summary>
    public EventsOptions ReadSettings(Func<string, string?> setting)
    {
        ArgumentNullException.ThrowIfNull(setting);
        if (setting(SqliteRootSetting) is { Length: > 0 } root) SqliteRoot = root;
        foreach (var entry in Split(setting(EgressAllowSetting))) EgressAllow.Add(entry);
        foreach (var entry in Split(setting(EgressDenySetting))) EgressDeny.Add(entry);
        return this;
    }

    /// <summary>Checks every setting; the exception names the setting at fault.</summary>
    /// <exception cref="ArgumentException">An entry is not a CIDR, an address or a host name, or the root is not absolute.</exception>
    public void Validate()
    {
        _ = EgressPolicy.From(this);
        _ = SqlitePathPolicy.From(this);
    }

    private static IEnumerable<string> Split(string? list) =>
        (list ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
