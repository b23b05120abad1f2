using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Metronome.Events.Database;

/// <summary>
/// Closes the doors a statement could open past <see cref="SqlitePathPolicy"/> on a connection a tenant's statement
/// runs on: no attached databases at all (<c>SQLITE_LIMIT_ATTACHED</c> 0, which also stops <c>VACUUM INTO</c>, since
/// VACUUM attaches its target), and an authorizer refusing <c>ATTACH</c>, <c>DETACH</c>, <c>load_extension()</c> and
/// the pragmas that move SQLite's files (<c>temp_store_directory</c>, <c>data_store_directory</c>). Undone when the
/// statement is over, so the pooled connection a host may share is returned as it was found.
/// </summary>
internal sealed class SqliteLockdown : IDisposable
{
    private static readonly delegate_authorizer Authorizer = Authorize;
    private readonly sqlite3 _db;
    private readonly int _previousAttachLimit;

    private SqliteLockdown(sqlite3 db)
    {
        _db = db;
        _previousAttachLimit = raw.sqlite3_limit(db, raw.SQLITE_LIMIT_ATTACHED, 0);
        raw.sqlite3_set_authorizer(db, Authorizer, null);
    }

    /// <summary>Locks down an open connection until the returned value is disposed.</summary>
    public static SqliteLockdown Apply(SqliteConnection connection) =>
        new(connection.Handle ?? throw new InvalidOperationException("The connection must be open."));

    public void Dispose()
    {
        raw.sqlite3_set_authorizer(_db, (delegate_authorizer?)null, null);
        raw.sqlite3_limit(_db, raw.SQLITE_LIMIT_ATTACHED, _previousAttachLimit);
    }

    private static int Authorize(object userData, int action, utf8z param0, utf8z param1, utf8z database, utf8z trigger) => action switch
    {
        raw.SQLITE_ATTACH or raw.SQLITE_DETACH => raw.SQLITE_DENY,
        raw.SQLITE_FUNCTION when string.Equals(param1.utf8_to_string(), "load_extension", StringComparison.OrdinalIgnoreCase) => raw.SQLITE_DENY,
        raw.SQLITE_PRAGMA when param0.utf8_to_string()?.ToLowerInvariant() is "temp_store_directory" or "data_store_directory" => raw.SQLITE_DENY,
        _ => raw.SQLITE_OK,
    };
}
