namespace Metronome.Storage.Postgres;

/// <summary>Options of <see cref="PostgresJobStore"/>.</summary>
public sealed class PostgresStoreOptions
{
    /// <summary>Npgsql connection string. The schema is created in the first schema of its <c>Search Path</c> (default <c>public</c>).</summary>
    public required string ConnectionString { get; set; }

    /// <summary>
    /// Whether claims decide what is due by the database's clock (<c>clock_timestamp()</c>) rather than the caller's
    /// <see cref="Core.Storage.ClaimParams.Now"/>: with several nodes, one clock must decide. Default true. Tests that drive
    /// time with a fake clock turn it off.
    /// </summary>
    public bool UseDatabaseClock { get; set; } = true;
}
