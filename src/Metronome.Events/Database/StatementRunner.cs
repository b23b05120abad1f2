using System.Buffers;
using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Metronome.Core.Templates;

namespace Metronome.Events.Database;

/// <summary>
/// Runs one statement on an ADO.NET connection (both providers): parameters bound by name, one transaction,
/// output as JSON. Rows → the first <see cref="MaxRows"/> as an array of objects; no rows → <c>{"rows_affected": n}</c>.
/// </summary>
internal static class StatementRunner
{
    public const int MaxRows = 100;

    /// <summary>
    /// Renders each parameter value against the scope, keeping its JSON type: a single placeholder such as
    /// <c>{{run.slot}}</c> or <c>{{input.count}}</c> binds a number, strings bind text, JSON <c>null</c> (or a null
    /// input value) binds <c>NULL</c>, objects and arrays bind their JSON text. Values are bound, never spliced into SQL.
    /// </summary>
    public static List<KeyValuePair<string, object>> RenderParameters(JsonElement? parameters, TemplateScope scope)
    {
        var values = new List<KeyValuePair<string, object>>();
        if (parameters is not { ValueKind: JsonValueKind.Object } bag) return values;
        foreach (var property in bag.EnumerateObject())
            values.Add(new(property.Name, ToClr(TemplateRenderer.RenderElement(property.Value, scope))));
        return values;
    }

    public static async Task<string> RunAsync(DbConnection connection, string statement, IReadOnlyList<KeyValuePair<string, object>> parameters,
        TimeSpan timeout, CancellationToken ct)
    {
        if (connection.State != System.Data.ConnectionState.Open) await connection.OpenAsync(ct).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = statement;
        // The driver's own limit backs up the token (SQLite waits on a locked file for this long at most).
        command.CommandTimeout = (int)Math.Clamp(Math.Ceiling(timeout.TotalSeconds), 1, int.MaxValue);
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@" + name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }
        string output;
        await using (var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            if (reader.FieldCount > 0) output = await ReadRowsAsync(reader, ct).ConfigureAwait(false);
            else
            {
                await reader.CloseAsync().ConfigureAwait(false);
                output = DefinitionReader.Invariant($$"""{"rows_affected":{{Math.Max(0, reader.RecordsAffected)}}}""");
            }
        }
        await transaction.CommitAsync(ct).ConfigureAwait(false);
        return OutputLimiter.Limit(output)!;
    }

    private static object ToClr(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.Number when value.TryGetInt64(out var integer) => integer,
        JsonValueKind.Number => value.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Object or JsonValueKind.Array => value.GetRawText(),
        _ => DBNull.Value,
    };

    private static async Task<string> ReadRowsAsync(DbDataReader reader, CancellationToken ct)
    {
        var buffer = new ArrayBufferWriter<byte>();
        await using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            var rows = 0;
            while (rows < MaxRows && await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                writer.WriteStartObject();
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    writer.WritePropertyName(reader.GetName(i));
                    WriteValue(writer, reader, i);
                }
                writer.WriteEndObject();
                rows++;
            }
            writer.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteValue(Utf8JsonWriter writer, DbDataReader reader, int ordinal)
    {
        object value;
        try
        {
            if (reader.IsDBNull(ordinal)) { writer.WriteNullValue(); return; }
            value = reader.GetValue(ordinal);
        }
        catch (Exception e) when (e is InvalidCastException or OverflowException or NotSupportedException)
        {
            // A value .NET cannot hold (e.g. a PostgreSQL numeric beyond decimal): record that, not a failure.
            writer.WriteStringValue($"<{reader.GetDataTypeName(ordinal)}: not representable>");
            return;
        }
        switch (value)
        {
            case bool b: writer.WriteBooleanValue(b); break;
            case long or int or short or byte or sbyte or ushort or uint: writer.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture)); break;
            case ulong u: writer.WriteNumberValue(u); break;
            case decimal m: writer.WriteNumberValue(m); break;
            case double d when double.IsFinite(d): writer.WriteNumberValue(d); break;
            case float f when float.IsFinite(f): writer.WriteNumberValue(f); break;
            case string s: writer.WriteStringValue(s); break;
            case DateTime t: writer.WriteStringValue(t); break;
            case DateTimeOffset t: writer.WriteStringValue(t); break;
            case Guid g: writer.WriteStringValue(g); break;
            case byte[] bytes: writer.WriteBase64StringValue(bytes); break;
            case IFormattable formattable: writer.WriteStringValue(formattable.ToString(null, CultureInfo.InvariantCulture)); break;
            default: WriteOther(writer, value); break;
        }
    }

    /// <summary>Arrays, JSON columns and the like: as JSON when it serialises, else as text.</summary>
    private static void WriteOther(Utf8JsonWriter writer, object value)
    {
        try { JsonSerializer.SerializeToElement(value, value.GetType()).WriteTo(writer); }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or ArgumentException)
        {
            writer.WriteStringValue(value.ToString());
        }
    }
}
