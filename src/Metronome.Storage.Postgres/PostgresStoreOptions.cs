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

    /// <summary>
    /// Splits claiming between the live nodes of a cluster (see <c>ClaimDueSlotsAsync</c>); null, the default of a bare store
    /// (one process, tests), claims every due job it is asked about. <see cref="PostgresServiceCollectionExtensions.AddMetronomePostgres"/>
    /// always sets it, from <see cref="Core.Engine.Cluster.ClusterOptions.NodeTimeout"/> and
    /// <see cref="Core.Engine.Cluster.ClusterOptions.ClaimTakeoverGrace"/>.
    /// </summary>
    public ClaimPartitioning? Partitioning { get; set; }

    /// <summary>Whether <paramref name="text"/> is a connection string Npgsql accepts (checked at start by the store and the server).</summary>
    public static bool IsValidConnectionString(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return false;
        try
        {
            _ = new Npgsql.NpgsqlConnectionStringBuilder(text);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}

/// <summary>Claim partitioning between cluster nodes.</summary>
/// <param name="NodeTimeout">A node whose heartbeat is older than this is not in the ring.</param>
/// <param name="TakeoverGrace">A job overdue by more than this is claimed by any node, whoever owns it.</param>
public sealed record ClaimPartitioning(TimeSpan NodeTimeout, TimeSpan TakeoverGrace);
