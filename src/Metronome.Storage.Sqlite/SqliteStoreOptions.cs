namespace Metronome.Storage.Sqlite;

/// <summary>How SQLite flushes a committed transaction to disk (the <c>synchronous</c> pragma, in WAL mode).</summary>
public enum SqliteSynchronous
{
    /// <summary>Every commit is fsynced: a committed claim survives a power loss. The default.</summary>
    Full,
    /// <summary>The WAL is fsynced at checkpoints only: faster commits; the last transactions may be lost on power loss (never on a process crash).</summary>
    Normal,
}

/// <summary>Options of <see cref="SqliteJobStore"/>.</summary>
public sealed class SqliteStoreOptions
{
    /// <summary>Path of the database file; its directory is created when missing.</summary>
    public required string DatabasePath { get; set; }

    /// <summary>Durability of commits. Default <see cref="SqliteSynchronous.Full"/>.</summary>
    public SqliteSynchronous Synchronous { get; set; } = SqliteSynchronous.Full;

    /// <summary>How long a write waits for another process (or store instance) holding the database's write lock. Default 30 s.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
