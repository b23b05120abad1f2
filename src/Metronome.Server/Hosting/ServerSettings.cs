using Metronome.Core.Hosting;

namespace Metronome.Server.Hosting;

/// <summary>
/// Settings of the server process itself (engine settings live in <see cref="MetronomeOptions"/>): the section
/// <c>Metronome:Server</c>, which the variables <c>METRONOME_URLS</c>, <c>METRONOME_DATA</c>, ... set (see <see cref="SettingsTable"/>).
/// </summary>
public sealed class ServerSettings
{
    /// <summary>Default listening address: loopback only, so a fresh install is not exposed by accident.</summary>
    public const string DefaultUrls = "http://127.0.0.1:5080";

    /// <summary>Addresses to listen on (<c>--urls</c>, else <c>METRONOME_URLS</c>, else <see cref="DefaultUrls"/>).</summary>
    public required string Urls { get; init; }

    /// <summary>Absolute data directory (<c>METRONOME_DATA</c>, default <c>./data</c>): database, admin key, Data Protection keys.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Store kind (<c>METRONOME_STORE</c>): <c>sqlite</c> (default) or <c>postgres</c>.</summary>
    public required string Store { get; init; }

    /// <summary>PostgreSQL connection string (<c>METRONOME_POSTGRES</c>), used when <see cref="Store"/> is <c>postgres</c>.</summary>
    public string? PostgresConnection { get; init; }

    /// <summary>Admin key given by the operator (<c>METRONOME_ADMIN_KEY</c>); when null one is generated into the data directory.</summary>
    public string? AdminKey { get; init; }

    /// <summary>
    /// The host's shutdown timeout (<c>METRONOME_SHUTDOWN_TIMEOUT_MS</c>, default 30 s): how long a stop lets attempts in flight
    /// finish; a little before it ends, the rest are handed back for the next owner to run as the same attempt.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; init; } = DefaultShutdownTimeout;

    /// <summary>The default <see cref="ShutdownTimeout"/>, that of .NET's host.</summary>
    public static readonly TimeSpan DefaultShutdownTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The SQLite database file.</summary>
    public string DatabasePath => Path.Combine(DataDirectory, "metronome.db");

    /// <summary>Where a generated admin key is kept.</summary>
    public string AdminKeyPath => Path.Combine(DataDirectory, "admin.key");

    /// <summary>Where Data Protection keeps the keys that encrypt product secrets.</summary>
    public string DataProtectionKeysPath => Path.Combine(DataDirectory, "keys");

    /// <summary>
    /// Reads the section <c>Metronome:Server</c> (where <see cref="SettingsTable.Apply"/> put <c>METRONOME_DATA</c> and the
    /// others) and checks it; throws <see cref="ServerConfigurationException"/> naming the bad variable and key.
    /// </summary>
    public static ServerSettings From(IConfiguration config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var section = config.GetSection(SettingsTable.Sections[typeof(ServerSettings)]);
        var store = (Value(section, nameof(Store)) ?? "sqlite").Trim().ToLowerInvariant();
        var postgres = Value(section, nameof(PostgresConnection));
        // SettingsTable.Apply has checked that the value is a time span.
        var shutdownTimeout = Value(section, nameof(ShutdownTimeout)) is { } text
            ? TimeSpan.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : DefaultShutdownTimeout;
        var check = new OptionsCheck<ServerSettings>(ServerSettingNames.Instance)
            .That(store is "sqlite" or "postgres", nameof(Store), store, "must be 'sqlite' or 'postgres'")
            .That(shutdownTimeout > TimeSpan.Zero && shutdownTimeout.TotalMilliseconds <= int.MaxValue, nameof(ShutdownTimeout), shutdownTimeout,
                $"must be between 1 and {int.MaxValue} ms");
        if (store == "postgres")
            check.That(postgres is not null, nameof(PostgresConnection), null, $"must be set (an Npgsql connection string) when {check.Name(nameof(Store))} is postgres")
                // The value is not quoted back: it may hold a password.
                .That(postgres is null || Storage.Postgres.PostgresStoreOptions.IsValidConnectionString(postgres), nameof(PostgresConnection), null, "must be a valid Npgsql connection string");
        if (check.Failures.Count > 0) throw new ServerConfigurationException(string.Join(" ", check.Failures));
        return new ServerSettings
        {
            Urls = Value(config, "urls") ?? Value(section, nameof(Urls)) ?? DefaultUrls,
            DataDirectory = Path.GetFullPath(Value(section, nameof(DataDirectory)) ?? "data"),
            Store = store,
            PostgresConnection = postgres,
            AdminKey = Value(section, nameof(AdminKey))?.Trim(),
            ShutdownTimeout = shutdownTimeout,
        };
    }

    private static string? Value(IConfiguration config, string key) => config[key] is { Length: > 0 } v ? v : null;
}
