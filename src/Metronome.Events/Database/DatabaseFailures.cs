using System.Net.Sockets;
using Metronome.Core.Execution;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Metronome.Events.Database;

/// <summary>
/// Maps driver exceptions to error kinds: a server not reachable (or an SQLite file that cannot be opened) →
/// <c>connection_refused</c>; credentials refused (PostgreSQL 28P01/28000) → <c>auth_failed</c>; an SQL error, or a statement the
/// SQLite lockdown refuses → <c>rejected</c>; a driver timeout, a cancelled statement or a file locked too long → <c>timeout</c>.
/// Messages name the server, never the connection string.
/// </summary>
internal static class DatabaseFailures
{
    private const int SqliteBusy = 5, SqliteLocked = 6, SqliteCantOpen = 14, SqliteAuth = 23;

    public static ExecutionOutcome? Classify(Exception e, string provider) => e switch
    {
        PostgresException { SqlState: "28P01" or "28000" } pg =>
            ExecutionOutcome.Failure(ErrorKinds.AuthFailed, $"PostgreSQL refused the credentials ({pg.SqlState}): {pg.MessageText}"),
        PostgresException { SqlState: "57014" } pg =>
            ExecutionOutcome.Failure(ErrorKinds.Timeout, $"PostgreSQL cancelled the statement ({pg.SqlState}): {pg.MessageText}"),
        PostgresException pg =>
            ExecutionOutcome.Failure(ErrorKinds.Rejected, $"PostgreSQL rejected the statement ({pg.SqlState}): {pg.MessageText}"),
        NpgsqlException when Find<TimeoutException>(e) is not null =>
            ExecutionOutcome.Failure(ErrorKinds.Timeout, $"PostgreSQL did not answer in time: {e.Message}"),
        NpgsqlException when Find<SocketException>(e) is { } socket =>
            ExecutionOutcome.Failure(ErrorKinds.ConnectionRefused, socket.SocketErrorCode == SocketError.ConnectionRefused
                ? $"Connection refused by the PostgreSQL server: {e.Message}"
                : $"Could not reach the PostgreSQL server ({socket.SocketErrorCode}): {e.Message}"),
        NpgsqlException =>
            ExecutionOutcome.Failure(ErrorKinds.Exception, $"PostgreSQL: {e.Message}"),
        SqliteException { SqliteErrorCode: SqliteCantOpen } =>
            ExecutionOutcome.Failure(ErrorKinds.ConnectionRefused, $"The SQLite database could not be opened: {e.Message}"),
        SqliteException { SqliteErrorCode: SqliteBusy or SqliteLocked } =>
            ExecutionOutcome.Failure(ErrorKinds.Timeout, $"The SQLite database stayed locked: {e.Message}"),
        // SQLITE_AUTH comes from the lockdown's authorizer (ATTACH, DETACH, load_extension and the like).
        SqliteException { SqliteErrorCode: SqliteAuth } =>
            ExecutionOutcome.Failure(ErrorKinds.Rejected, $"SQLite refused the statement (ATTACH, DETACH, VACUUM and load_extension are not allowed): {e.Message}"),
        SqliteException =>
            ExecutionOutcome.Failure(ErrorKinds.Rejected, $"SQLite rejected the statement: {e.Message}"),
        // A parameter the statement names but the definition does not give, and the like.
        InvalidOperationException when e.Source is "Microsoft.Data.Sqlite" or "Npgsql" =>
            ExecutionOutcome.Failure(ErrorKinds.Rejected, $"The {provider} driver rejected the statement: {e.Message}"),
        _ => null,
    };

    private static T? Find<T>(Exception e) where T : Exception
    {
        for (Exception? current = e; current is not null; current = current.InnerException)
            if (current is T match) return match;
        return null;
    }
}
