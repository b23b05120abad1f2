using Metronome.Core.Engine.Cluster;
using Metronome.Core.Hosting;
using Metronome.Events;
using Metronome.Events.Function;
using Metronome.Server.Hosting;
using Metronome.Storage.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Metronome.Server.Tests;

/// <summary>
/// The one table of server settings (<see cref="SettingsTable"/>): each variable reaches its option, the
/// <c>Metronome:...</c> keys are the same settings, bad values stop the start naming the variable and the key, and
/// docs/configuration.md lists exactly the table's rows.
/// </summary>
public sealed class SettingsTableTests
{
    private static readonly TimeSpan S = TimeSpan.FromSeconds(1);

    /// <summary>For every variable: a value an operator might write and what the option holds afterwards.</summary>
    public static TheoryData<string, string, object> Cases => new()
    {
        { "METRONOME_URLS", "http://127.0.0.1:6000", "http://127.0.0.1:6000" },
        { "METRONOME_DATA", "/srv/metronome", "/srv/metronome" },
        { "METRONOME_ADMIN_KEY", " admin-key-0123456789 ", "admin-key-0123456789" },
        { "METRONOME_STORE", "Postgres", "postgres" },
        { "METRONOME_POSTGRES", "Host=db.example;Database=jobs", "Host=db.example;Database=jobs" },
        { "METRONOME_SHUTDOWN_TIMEOUT_MS", "12000", 12 * S },
        { "METRONOME_SQLITE_SYNCHRONOUS", "normal", SqliteSynchronous.Normal },
        { "METRONOME_SQLITE_BUSY_TIMEOUT_MS", "4000", 4 * S },
        { "METRONOME_NODE", "node-7", "node-7" },
        { "METRONOME_MIN_INTERVAL_MS", "7", 7L },
        { "METRONOME_DEFAULT_TIMEOUT_MS", "1500", 1500 },
        { "METRONOME_MISFIRE_THRESHOLD_MS", "2500", 2.5 * S },
        { "METRONOME_MAX_CONCURRENCY", "64", 64 },
        { "METRONOME_PRODUCT_MAX_CONCURRENCY", "9", 9 },
        { "METRONOME_PRODUCT_LIMITS_REFRESH_MS", "750", 0.75 * S },
        { "METRONOME_CLAIM_LOOKAHEAD_MS", "35", 0.035 * S },
        { "METRONOME_CLAIM_BATCH_SIZE", "200", 200 },
        { "METRONOME_COMPLETION_BATCH_SIZE", "300", 300 },
        { "METRONOME_MAX_BACKLOG", "4000", 4000 },
        { "METRONOME_RETENTION_RUNS", "50", 50 },
        { "METRONOME_RETENTION_DAYS", "3", TimeSpan.FromDays(3) },
        { "METRONOME_PRUNE_INTERVAL_MS", "90000", 90 * S },
        { "METRONOME_HEARTBEAT_MS", "2000", 2 * S },
        { "METRONOME_NODE_TIMEOUT_MS", "30000", 30 * S },
        { "METRONOME_PRESENCE_TIMEOUT_MS", "750", 0.75 * S },
        { "METRONOME_LEASE_TTL_MS", "9000", 9 * S },
        { "METRONOME_POLL_INTERVAL_MS", "1500", 1.5 * S },
        { "METRONOME_CLAIM_TAKEOVER_GRACE_MS", "2500", 2.5 * S },
        { "METRONOME_CATALOG_CACHE_TTL_MS", "1500", 1.5 * S },
        { "METRONOME_FUNCTION_WORKERS", "3", 3 },
        { "METRONOME_FUNCTION_QUEUE_PER_PRODUCT", "16", 16 },
        { "METRONOME_FUNCTION_WORKER_HEAP_MB", "512", 512 },
        { "METRONOME_FUNCTION_WORKER_MAX_ATTEMPTS", "500", 500 },
        { "METRONOME_FUNCTION_WORKER_RECYCLE_MB", "128", 128 },
        { "METRONOME_FUNCTION_SCRIPT_CACHE_CHARS", "4096", 4096L },
        { "METRONOME_FUNCTION_KILL_GRACE_MS", "250", 0.25 * S },
        { "METRONOME_SQLITE_ROOT", "/srv/tenants", "/srv/tenants" },
        { "METRONOME_EGRESS_ALLOW", "10.0.0.0/8, api.example", new[] { "10.0.0.0/8", "api.example" } },
        { "METRONOME_EGRESS_DENY", "127.0.0.0/8", new[] { "127.0.0.0/8" } },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_variable_reaches_its_option(string variable, string value, object expected)
    {
        var setting = SettingsTable.All.Single(s => s.Variable == variable);

        var values = new Dictionary<string, string?> { [variable] = value };
        if (variable == "METRONOME_STORE") values["METRONOME_POSTGRES"] = "Host=db.example"; // postgres needs its database

        var bound = Bind(values, setting);

        Assert.Equal(expected is string[] list ? list : expected, bound is IEnumerable<string> items && bound is not string ? items.ToArray() : bound);
    }

    [Fact]
    public void Every_variable_of_the_table_has_a_case_and_a_key_of_its_own()
    {
        var cases = Cases.Select(row => (string)row[0]).ToHashSet();

        Assert.Equal(SettingsTable.All.Select(s => s.Variable).Order(), cases.Order());
        Assert.Equal(SettingsTable.All.Count, SettingsTable.All.Select(s => s.Key).Distinct(StringComparer.OrdinalIgnoreCase).Count());
    }

    [Theory]
    [InlineData("Metronome:ClaimLookahead", "00:00:00.050", "METRONOME_CLAIM_LOOKAHEAD_MS", "50")]
    [InlineData("Metronome:Cluster:ClaimTakeoverGrace", "00:00:02", "METRONOME_CLAIM_TAKEOVER_GRACE_MS", "2000")]
    [InlineData("Metronome:Functions:Workers", "5", "METRONOME_FUNCTION_WORKERS", "5")]
    [InlineData("Metronome:RetentionAge", "2.00:00:00", "METRONOME_RETENTION_DAYS", "2")]
    public void A_configuration_key_is_the_same_setting_as_its_variable(string key, string keyValue, string variable, string variableValue)
    {
        var setting = SettingsTable.All.Single(s => s.Key == key);

        Assert.Equal(setting.Variable, variable);
        Assert.Equal(Bind(new() { [variable] = variableValue }, setting), Bind(new() { [key] = keyValue }, setting));
    }

    [Fact]
    public void The_variable_wins_over_its_configuration_key()
    {
        var setting = SettingsTable.All.Single(s => s.Variable == "METRONOME_NODE_TIMEOUT_MS");

        var bound = Bind(new() { ["Metronome:Cluster:NodeTimeout"] = "00:01:00", ["METRONOME_NODE_TIMEOUT_MS"] = "25000" }, setting);

        Assert.Equal(TimeSpan.FromSeconds(25), bound);
    }

    [Theory]
    [InlineData("METRONOME_MIN_INTERVAL_MS", "0", "METRONOME_MIN_INTERVAL_MS (Metronome:MinIntervalMs) must be between 1 and 31622400000, not '0'.")]
    [InlineData("METRONOME_MIN_INTERVAL_MS", "fast", "METRONOME_MIN_INTERVAL_MS (Metronome:MinIntervalMs) must be a whole number, not 'fast'.")]
    [InlineData("METRONOME_MAX_CONCURRENCY", "99999999999", "METRONOME_MAX_CONCURRENCY (Metronome:MaxConcurrency) must be a whole number (at most 2147483647), not '99999999999'.")]
    [InlineData("METRONOME_MISFIRE_THRESHOLD_MS", "-5", "METRONOME_MISFIRE_THRESHOLD_MS (Metronome:MisfireThreshold) must not be negative, not '-5'.")]
    [InlineData("METRONOME_CLAIM_LOOKAHEAD_MS", "20000", "METRONOME_CLAIM_LOOKAHEAD_MS (Metronome:ClaimLookahead) must be between 0 and 10 s, not '20000'.")]
    [InlineData("METRONOME_RETENTION_DAYS", "a week", "METRONOME_RETENTION_DAYS (Metronome:RetentionAge) must be a whole number of days, not 'a week'.")]
    [InlineData("METRONOME_NODE_TIMEOUT_MS", "3000", "METRONOME_NODE_TIMEOUT_MS (Metronome:Cluster:NodeTimeout) must be at least twice METRONOME_HEARTBEAT_MS (Metronome:Cluster:HeartbeatInterval) (one late heartbeat must not kill a node), not '3000'.")]
    [InlineData("METRONOME_PRESENCE_TIMEOUT_MS", "50", "METRONOME_PRESENCE_TIMEOUT_MS (Metronome:Cluster:PresenceTimeout) must be at least 100 ms and less than METRONOME_NODE_TIMEOUT_MS (Metronome:Cluster:NodeTimeout), not '50'.")]
    [InlineData("Metronome:Cluster:LeaseTtl", "soon", "METRONOME_LEASE_TTL_MS (Metronome:Cluster:LeaseTtl) must be a time span such as 00:00:05, not 'soon'.")]
    [InlineData("METRONOME_FUNCTION_WORKERS", "0", "METRONOME_FUNCTION_WORKERS (Metronome:Functions:Workers) must be positive, not '0'.")]
    [InlineData("METRONOME_SQLITE_ROOT", "tenants", "METRONOME_SQLITE_ROOT (Metronome:Events:SqliteRoot) must be an absolute directory path, not 'tenants'.")]
    [InlineData("METRONOME_EGRESS_DENY", "10.0.0.0/8,10.0.0.0/99", "METRONOME_EGRESS_DENY (Metronome:Events:EgressDeny) must list CIDRs (10.0.0.0/8), IP addresses or host names (example.com, *.example.com), not '10.0.0.0/99'.")]
    [InlineData("METRONOME_SQLITE_SYNCHRONOUS", "off", "METRONOME_SQLITE_SYNCHRONOUS (Metronome:Sqlite:Synchronous) must be one of Full, Normal, not 'off'.")]
    [InlineData("METRONOME_SQLITE_BUSY_TIMEOUT_MS", "-1", "METRONOME_SQLITE_BUSY_TIMEOUT_MS (Metronome:Sqlite:BusyTimeout) must be between 0 and 2147483647 ms, not '-1'.")]
    [InlineData("METRONOME_SHUTDOWN_TIMEOUT_MS", "0", "METRONOME_SHUTDOWN_TIMEOUT_MS (Metronome:Server:ShutdownTimeout) must be between 1 and 2147483647 ms, not '0'.")]
    [InlineData("METRONOME_STORE", "mysql", "METRONOME_STORE (Metronome:Server:Store) must be 'sqlite' or 'postgres', not 'mysql'.")]
    [InlineData("METRONOME_STORE", "postgres", "METRONOME_POSTGRES (Metronome:Server:PostgresConnection) must be set (an Npgsql connection string) when METRONOME_STORE (Metronome:Server:Store) is postgres.")]
    public void A_bad_value_stops_the_start_naming_the_variable_and_the_key(string name, string value, string message)
    {
        var data = Directory.CreateTempSubdirectory("metronome-settings-").FullName;
        try
        {
            var error = Assert.Throws<ServerConfigurationException>(() => MetronomeServer.Build(["--urls=http://127.0.0.1:0"],
                b => b.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["METRONOME_DATA"] = data, [name] = value })));

            Assert.Equal(message, error.Message);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public void The_shutdown_timeout_is_the_hosts_which_paces_the_engines_stop()
    {
        var data = Directory.CreateTempSubdirectory("metronome-settings-").FullName;
        try
        {
            var app = MetronomeServer.Build(["--urls=http://127.0.0.1:0"],
                b => b.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["METRONOME_DATA"] = data, ["METRONOME_SHUTDOWN_TIMEOUT_MS"] = "2500" }));
            using (app as IDisposable)
                Assert.Equal(TimeSpan.FromMilliseconds(2500), app.Services.GetRequiredService<IOptions<Microsoft.Extensions.Hosting.HostOptions>>().Value.ShutdownTimeout);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public void The_documentation_lists_exactly_the_settings_of_the_table()
    {
        var expected = SettingsTable.All.Select(s => $"| `{s.Variable}` | `{s.Key}` | {s.Default} | {s.Description} |").ToList();
        var doc = File.ReadAllLines(Path.Combine(RepositoryRoot(), "docs", "configuration.md"));

        var documented = doc.Where(line => line.StartsWith("| `METRONOME_", StringComparison.Ordinal)).ToList();

        Assert.True(expected.SequenceEqual(documented),
            "docs/configuration.md must list the rows of SettingsTable.All, in order; expected:\n" + string.Join("\n", expected));
    }

    /// <summary>The value the server binds to <paramref name="setting"/>'s option from <paramref name="values"/>.</summary>
    private static object? Bind(Dictionary<string, string?> values, Setting setting)
    {
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection(values);
        SettingsTable.Apply(configuration);
        var settings = ServerSettings.From(configuration);
        if (setting.Options == typeof(ServerSettings)) return Property(settings, setting.Property);

        var services = new ServiceCollection();
        services.AddMetronome();
        services.AddMetronomeSqlite(settings.DatabasePath);
        services.AddMetronomeEvents();
        ServerOptions.Bind(services, configuration, settings);
        using var provider = services.BuildServiceProvider();
        var options = setting.Options switch
        {
            _ when setting.Options == typeof(MetronomeOptions) => (object)provider.GetRequiredService<IOptions<MetronomeOptions>>().Value,
            _ when setting.Options == typeof(ClusterOptions) => provider.GetRequiredService<IOptions<ClusterOptions>>().Value,
            _ when setting.Options == typeof(FunctionPoolOptions) => provider.GetRequiredService<IOptions<FunctionPoolOptions>>().Value,
            _ when setting.Options == typeof(EventsOptions) => provider.GetRequiredService<IOptions<EventsOptions>>().Value,
            _ when setting.Options == typeof(SqliteStoreOptions) => provider.GetRequiredService<IOptions<SqliteStoreOptions>>().Value,
            _ => throw new InvalidOperationException($"no options class for {setting.Key}"),
        };
        return Property(options, setting.Property);
    }

    private static object? Property(object options, string name) => options.GetType().GetProperty(name)!.GetValue(options);

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "docs", "configuration.md"))) return dir.FullName;
        throw new InvalidOperationException("docs/configuration.md not found above " + AppContext.BaseDirectory);
    }
}
