using System.Globalization;
using System.Reflection;
using Metronome.Core.Engine.Cluster;
using Metronome.Core.Hosting;
using Metronome.Events;
using Metronome.Events.Function;
using Metronome.Storage.Sqlite;

namespace Metronome.Server.Hosting;

/// <summary>How a variable's text becomes the value of its configuration key.</summary>
internal enum SettingUnit
{
    /// <summary>Taken as written (a number, <c>true</c>/<c>false</c> or text, checked against the option's type).</summary>
    AsIs,
    /// <summary>Whole milliseconds, bound to a <see cref="TimeSpan"/>.</summary>
    Milliseconds,
    /// <summary>Whole days, bound to a <see cref="TimeSpan"/>.</summary>
    Days,
    /// <summary>Comma-separated entries, bound to a list.</summary>
    List,
}

/// <summary>One server setting: its environment variable, the configuration key it sets, the conversion, default and meaning.</summary>
internal sealed record Setting(string Variable, string Key, SettingUnit Unit, string Default, string Description)
{
    /// <summary>The configuration section of the options class (<c>Metronome:Cluster</c>).</summary>
    public string Section => Key[..Key.LastIndexOf(':')];

    /// <summary>The property of the options class (<c>NodeTimeout</c>).</summary>
    public string Property => Key[(Key.LastIndexOf(':') + 1)..];

    /// <summary>The options class bound from <see cref="Section"/>.</summary>
    public Type Options => SettingsTable.Sections.Single(s => s.Value == Section).Key;

    /// <summary>The type of the property the key binds to (nullable unwrapped).</summary>
    public Type ValueType
    {
        get
        {
            var type = Options.GetProperty(Property, BindingFlags.Public | BindingFlags.Instance)!.PropertyType;
            return Nullable.GetUnderlyingType(type) ?? type;
        }
    }

    /// <summary>How messages name it: <c>METRONOME_MIN_INTERVAL_MS (Metronome:MinIntervalMs)</c>.</summary>
    public string Name => $"{Variable} ({Key})";
}

/// <summary>
/// Every <c>METRONOME_*</c> variable of the server and the configuration key it sets, in one place. The server turns the
/// variables into their keys once (<see cref="Apply"/>) and then binds each options class from its section, so
/// <c>METRONOME_NODE_TIMEOUT_MS=20000</c> and <c>Metronome__Cluster__NodeTimeout=00:00:20</c> are the same setting (the
/// variable wins when both are given). docs/configuration.md lists the same rows; a test keeps them equal.
/// </summary>
internal static class SettingsTable
{
    /// <summary>The configuration section of each options class.</summary>
    public static readonly IReadOnlyDictionary<Type, string> Sections = new Dictionary<Type, string>
    {
        [typeof(ServerSettings)] = "Metronome:Server",
        [typeof(MetronomeOptions)] = "Metronome",
        [typeof(ClusterOptions)] = "Metronome:Cluster",
        [typeof(FunctionPoolOptions)] = "Metronome:Functions",
        [typeof(EventsOptions)] = "Metronome:Events",
        [typeof(SqliteStoreOptions)] = "Metronome:Sqlite",
    };

    private const SettingUnit AsIs = SettingUnit.AsIs, Ms = SettingUnit.Milliseconds;

    /// <summary>The settings, in the order of the documentation.</summary>
    public static readonly IReadOnlyList<Setting> All =
    [
        new("METRONOME_URLS", "Metronome:Server:Urls", AsIs, "`http://127.0.0.1:5080`", "where the API and dashboard listen (`--urls` wins)"),
        new("METRONOME_DATA", "Metronome:Server:DataDirectory", AsIs, "`./data`", "database, `admin.key`, Data Protection keys (the directory is made private to the server's user)"),
        new("METRONOME_ADMIN_KEY", "Metronome:Server:AdminKey", AsIs, "generated into `<data>/admin.key` (0600)", "the admin key, at least 16 characters"),
        new("METRONOME_STORE", "Metronome:Server:Store", AsIs, "`sqlite`", "`postgres` joins a cluster (needs `METRONOME_POSTGRES`)"),
        new("METRONOME_POSTGRES", "Metronome:Server:PostgresConnection", AsIs, "—", "the cluster's database (Npgsql connection string)"),
        new("METRONOME_SHUTDOWN_TIMEOUT_MS", "Metronome:Server:ShutdownTimeout", Ms, "30000", "how long a stop (SIGTERM) lets attempts in flight finish before the rest are handed back to run again as the same attempt ([clustering.md](clustering.md#stopping-a-node))"),
        new("METRONOME_SQLITE_SYNCHRONOUS", "Metronome:Sqlite:Synchronous", AsIs, "`Full`", "SQLite store: `Normal` fsyncs the WAL at checkpoints only (faster commits; a power loss may lose the last ones, a crash never)"),
        new("METRONOME_SQLITE_BUSY_TIMEOUT_MS", "Metronome:Sqlite:BusyTimeout", Ms, "30000", "SQLite store: how long a write waits for another holder of the database's write lock"),
        new("METRONOME_NODE", "Metronome:NodeName", AsIs, "machine name + pid", "node name recorded on every run"),
        new("METRONOME_MIN_INTERVAL_MS", "Metronome:MinIntervalMs", AsIs, "100", "smallest `intervals` accepted (1 to 31622400000)"),
        new("METRONOME_DEFAULT_TIMEOUT_MS", "Metronome:DefaultTimeoutMs", AsIs, "30000", "attempt timeout of jobs that give none"),
        new("METRONOME_MISFIRE_THRESHOLD_MS", "Metronome:MisfireThreshold", Ms, "5000", "lateness beyond which a slot follows the job's `misfire` policy"),
        new("METRONOME_MAX_CONCURRENCY", "Metronome:MaxConcurrency", AsIs, "512", "attempts running at once on a node"),
        new("METRONOME_PRODUCT_MAX_CONCURRENCY", "Metronome:ProductMaxConcurrency", AsIs, "a quarter of `METRONOME_MAX_CONCURRENCY`", "attempts of one product running at once on a node, unless the product has its own `max_concurrency` ([security/fairness.md](security/fairness.md))"),
        new("METRONOME_PRODUCT_LIMITS_REFRESH_MS", "Metronome:ProductLimitsRefresh", Ms, "2000", "how soon a node sees a product's `max_concurrency` changed through another node"),
        new("METRONOME_CLAIM_LOOKAHEAD_MS", "Metronome:ClaimLookahead", Ms, "20", "how far ahead of their due time slots are claimed and handed to the local timer (0 to 10000)"),
        new("METRONOME_CLAIM_BATCH_SIZE", "Metronome:ClaimBatchSize", AsIs, "1000", "most jobs claimed in one transaction"),
        new("METRONOME_COMPLETION_BATCH_SIZE", "Metronome:CompletionBatchSize", AsIs, "1000", "most outcomes written in one transaction"),
        new("METRONOME_MAX_BACKLOG", "Metronome:MaxBacklog", AsIs, "10000", "attempts claimed but not yet recorded above which a node stops claiming"),
        new("METRONOME_RETENTION_RUNS", "Metronome:RetentionRunsPerJob", AsIs, "1000", "runs kept per job"),
        new("METRONOME_RETENTION_DAYS", "Metronome:RetentionAge", SettingUnit.Days, "30", "days after which finished runs are deleted"),
        new("METRONOME_PRUNE_INTERVAL_MS", "Metronome:PruneInterval", Ms, "600000", "how often retention is applied"),
        new("METRONOME_HEARTBEAT_MS", "Metronome:Cluster:HeartbeatInterval", Ms, "5000", "cluster: how often a node records that it is alive"),
        new("METRONOME_NODE_TIMEOUT_MS", "Metronome:Cluster:NodeTimeout", Ms, "20000", "cluster: heartbeat backstop: silence after which a node is dead even if its presence seems held (a paused process, a lost host), and its runs are recovered (at least twice the heartbeat)"),
        new("METRONOME_PRESENCE_TIMEOUT_MS", "Metronome:Cluster:PresenceTimeout", Ms, "1000", "cluster: failure detection by presence: a node confirms its presence lock every quarter of this and acts only within this of the last confirmation; the leader declares a node whose lock is gone dead after looks this far apart (a killed node's runs are taken over in about 1–2 s)"),
        new("METRONOME_LEASE_TTL_MS", "Metronome:Cluster:LeaseTtl", Ms, "15000", "cluster: life of the leader's lease (at least 300)"),
        new("METRONOME_POLL_INTERVAL_MS", "Metronome:Cluster:PollInterval", Ms, "5000", "cluster: schedule reload period while change notifications are down"),
        new("METRONOME_CLAIM_TAKEOVER_GRACE_MS", "Metronome:Cluster:ClaimTakeoverGrace", Ms, "1000", "cluster: lateness after which any node claims a job another node owns"),
        new("METRONOME_CATALOG_CACHE_TTL_MS", "Metronome:Cluster:CatalogCacheTtl", Ms, "2000", "how long cached events, secrets, products and keys are trusted; bounds a cluster node's staleness when change notifications are lost"),
        new("METRONOME_FUNCTION_WORKERS", "Metronome:Functions:Workers", AsIs, "processor count (at least 2)", "worker processes running JavaScript functions ([security/functions.md](security/functions.md))"),
        new("METRONOME_FUNCTION_QUEUE_PER_PRODUCT", "Metronome:Functions:QueuePerProduct", AsIs, "64", "attempts of one product that may wait for a function worker"),
        new("METRONOME_FUNCTION_WORKER_HEAP_MB", "Metronome:Functions:WorkerHeapLimitMb", AsIs, "768", "hard heap limit of each function worker (at least 64)"),
        new("METRONOME_FUNCTION_WORKER_MAX_ATTEMPTS", "Metronome:Functions:MaxAttemptsPerWorker", AsIs, "100000", "attempts after which a function worker is replaced"),
        new("METRONOME_FUNCTION_WORKER_RECYCLE_MB", "Metronome:Functions:WorkerRecycleHeapMb", AsIs, "256", "heap above which a function worker is replaced after an attempt"),
        new("METRONOME_FUNCTION_SCRIPT_CACHE_CHARS", "Metronome:Functions:ScriptCacheChars", AsIs, "1048576", "source characters of prepared scripts each function worker keeps"),
        new("METRONOME_FUNCTION_KILL_GRACE_MS", "Metronome:Functions:KillGrace", Ms, "1000", "wait past a function's `timeout_ms` before its worker is killed"),
        new("METRONOME_SQLITE_ROOT", "Metronome:Events:SqliteRoot", AsIs, "none", "SQLite `database_action` files must resolve under this directory (set it when tenants share a server)"),
        new("METRONOME_EGRESS_ALLOW", "Metronome:Events:EgressAllow", SettingUnit.List, "empty", "CIDRs or host names HTTP executors only reach ([security/egress-and-data.md](security/egress-and-data.md))"),
        new("METRONOME_EGRESS_DENY", "Metronome:Events:EgressDeny", SettingUnit.List, "empty", "CIDRs or host names HTTP executors never reach; link-local and cloud metadata are always denied"),
    ];

    /// <summary>
    /// Adds the keys of the variables found in <paramref name="config"/> as its last (winning) source, then checks that
    /// every key's value converts to its option's type.
    /// </summary>
    /// <exception cref="ServerConfigurationException">A value does not convert; the message names the variable and the key.</exception>
    public static void Apply(IConfigurationManager config)
    {
        var keys = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var setting in All)
            if (config[setting.Variable] is { Length: > 0 } text) Translate(setting, text, keys);
        config.AddInMemoryCollection(keys);
        foreach (var setting in All)
            if (config[setting.Key] is { Length: > 0 } value && !Converts(value, setting.ValueType))
                throw new ServerConfigurationException($"{setting.Name} must be {Expected(setting.ValueType)}, not '{value}'.");
    }

    private static void Translate(Setting setting, string text, Dictionary<string, string?> keys)
    {
        switch (setting.Unit)
        {
            case SettingUnit.Milliseconds or SettingUnit.Days:
                var unit = setting.Unit == SettingUnit.Days ? "days" : "milliseconds";
                if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var amount) || !Fits(amount, setting.Unit))
                    throw new ServerConfigurationException($"{setting.Name} must be a whole number of {unit}, not '{text}'.");
                var span = setting.Unit == SettingUnit.Days ? TimeSpan.FromDays(amount) : TimeSpan.FromMilliseconds(amount);
                keys[setting.Key] = span.ToString("c", CultureInfo.InvariantCulture);
                break;
            case SettingUnit.List:
                var entries = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                for (var i = 0; i < entries.Length; i++) keys[$"{setting.Key}:{i}"] = entries[i];
                break;
            default:
                keys[setting.Key] = text.Trim();
                break;
        }
    }

    // TimeSpan holds about 29,000 years; a larger number is a typo, refused here rather than overflowing.
    private static bool Fits(long amount, SettingUnit unit) =>
        Math.Abs((double)amount) <= (unit == SettingUnit.Days ? TimeSpan.MaxValue.TotalDays : TimeSpan.MaxValue.TotalMilliseconds) / 2;

    private static bool Converts(string value, Type type) => type switch
    {
        _ when type == typeof(int) => int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
        _ when type == typeof(long) => long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
        _ when type == typeof(bool) => bool.TryParse(value, out _),
        _ when type == typeof(TimeSpan) => TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out _),
        _ when type.IsEnum => Enum.GetNames(type).Contains(value, StringComparer.OrdinalIgnoreCase),
        _ => true,
    };

    private static string Expected(Type type) => type switch
    {
        _ when type == typeof(int) => $"a whole number (at most {int.MaxValue})",
        _ when type == typeof(long) => "a whole number",
        _ when type == typeof(bool) => "true or false",
        _ when type == typeof(TimeSpan) => "a time span such as 00:00:05",
        _ when type.IsEnum => $"one of {string.Join(", ", Enum.GetNames(type))}",
        _ => "text",
    };
}
