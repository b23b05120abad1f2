using Npgsql;
using NpgsqlTypes;

namespace Metronome.Storage.Postgres.Internal;

/// <summary>Small ADO.NET conveniences and the column conversions (instants as unix milliseconds, nulls typed).</summary>
internal static class Sql
{
    public static NpgsqlCommand Command(this NpgsqlConnection connection, NpgsqlTransaction? tx, string text) => new(text, connection, tx);

    /// <summary>Adds a parameter; a null value is sent as a typed NULL so that <c>@x IS NULL</c> parses.</summary>
    public static NpgsqlCommand With(this NpgsqlCommand cmd, string name, object? value, NpgsqlDbType type)
    {
        cmd.Parameters.Add(new NpgsqlParameter(name, type) { Value = value ?? DBNull.Value });
        return cmd;
    }

    public static NpgsqlCommand With(this NpgsqlCommand cmd, string name, string? value) => cmd.With(name, value, NpgsqlDbType.Text);

    public static NpgsqlCommand With(this NpgsqlCommand cmd, string name, long? value) => cmd.With(name, value, NpgsqlDbType.Bigint);

    public static NpgsqlBatchCommand With(this NpgsqlBatchCommand cmd, string name, object? value, NpgsqlDbType type)
    {
        cmd.Parameters.Add(new NpgsqlParameter(name, type) { Value = value ?? DBNull.Value });
        return cmd;
    }

    public static long Ms(DateTimeOffset at) => at.ToUnixTimeMilliseconds();

    public static long? Ms(DateTimeOffset? at) => at?.ToUnixTimeMilliseconds();

    public static DateTimeOffset At(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    public static DateTimeOffset At(this NpgsqlDataReader r, int i) => At(r.GetInt64(i));

    public static DateTimeOffset? AtOrNull(this NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.At(i);

    public static string? StringOrNull(this NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    public static bool IsUniqueViolation(this PostgresException e) => e.SqlState == PostgresErrorCodes.UniqueViolation;

    public static bool IsForeignKeyViolation(this PostgresException e) => e.SqlState == PostgresErrorCodes.ForeignKeyViolation;

    public static NpgsqlDbType Array(NpgsqlDbType element) => NpgsqlDbType.Array | element;
}
