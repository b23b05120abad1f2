namespace Metronome.Server.Hosting;

/// <summary>
/// Settings of the server process itself (engine settings live in <see cref="Core.Hosting.MetronomeOptions"/>).
/// Read from configuration keys named like the environment variables, so that <c>METRONOME_DATA=/srv/m</c> and an
/// in-memory <c>["METRONOME_DATA"] = ...</c> in a test are the same thing.
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

    /// <summary>The SQLite database file.</summary>
    public string DatabasePath => Path.Combine(DataDirectory, "metronome.db");

    /// <summary>Where a generated admin key is kept.</summary>
    public string AdminKeyPath => Path.Combine(DataDirectory, "admin.key");

    /// <summary>Where Data Protection keeps the keys that encrypt product secrets.</summary>
    public string DataProtectionKeysPath => Path.Combine(DataDirectory, "keys");

    /// <summary>Reads and checks the settings; throws <see cref="ServerConfigurationException"/> naming the bad variable.</summary>
    public static ServerSettings From(IConfiguration config)
    {
        var store = (Value(config, "METRONOME_STORE") ?? "sqlite").Trim().ToLowerInvariant();
        if (store is not ("sqlite" or "postgres"))
            throw new ServerConfigurationException($"METRONOME_STORE must be 'sqlite' or 'postgres', not '{store}'.");
        return new ServerSettings
        {
            Urls = Value(config, "urls") ?? Value(config, "METRONOME_URLS") ?? DefaultUrls,
            DataDirectory = Path.GetFullPath(Value(config, "METRONOME_DATA") ?? "data"),
            Store = store,
            PostgresConnection = Value(config, "METRONOME_POSTGRES"),
            AdminKey = Value(config, "METRONOME_ADMIN_KEY")?.Trim(),
        };
    }

    private static string? Value(IConfiguration config, string key) => config[key] is { Length: > 0 } v ? v : null;
}
