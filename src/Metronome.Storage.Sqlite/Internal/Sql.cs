using Microsoft.Data.Sqlite;

namespace Metronome.Storage.Sqlite.Internal;

/// <summary>Small ADO.NET conveniences and the column conversions (instants as unix milliseconds, nulls as DBNull).</summary>
internal static class Sql
{
    /// <summary>SQLITE_CONSTRAINT: the primary result code of every unique, primary key and check violation.</summary>
    public const int ConstraintViolation = 19;

    public static SqliteCommand Command(this SqliteConnection connection, SqliteTransaction? tx, string text)
    {
        var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = text;
        return cmd;
    }

    /// <summary>Adds a parameter with a value (null becomes SQL NULL).</summary>
    public static SqliteCommand With(this SqliteCommand cmd, string name, object? value)
    {
        cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return cmd;
    }

    /// <summary>Adds a parameter whose value is set later: a command prepared once and executed many times in a batch.</summary>
    public static SqliteParameter Param(this SqliteCommand cmd, string name)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = DBNull.Value;
        cmd.Parameters.Add(p);
        return p;
    }

    public static void Set(this SqliteParameter p, object? value) => p.Value = value ?? DBNull.Value;

    public static long Ms(DateTimeOffset at) => at.ToUnixTimeMilliseconds();

    public static long? Ms(DateTimeOffset? at) => at?.ToUnixTimeMilliseconds();

    public static DateTimeOffset At(this SqliteDataReader r, int i) => DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(i));

    public static DateTimeOffset? AtOrNull(this SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.At(i);

    public static string? StringOrNull(this SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    public static bool IsConstraintViolation(this SqliteException e) => e.SqliteErrorCode == ConstraintViolation;

    public static int Execute(this SqliteConnection connection, SqliteTransaction? tx, string text)
    {
        using var cmd = connection.Command(tx, text);
        return cmd.ExecuteNonQuery();
    }
}
