using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Npgsql;

namespace Metronome.Server.Hosting;

/// <summary>
/// Keeps the Data Protection key ring in the cluster's PostgreSQL database, so that a secret stored through one node
/// can be decrypted by every node. Keys are few and read rarely (the ring is cached and refreshed by Data Protection),
/// so plain synchronous statements on a small table are enough.
/// </summary>
internal sealed class PostgresKeyRepository(string connectionString) : IXmlRepository
{
    private const string Table = "metronome_dataprotection_keys";
    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(connectionString);
    private int _tableReady;

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        EnsureTable();
        using var cmd = _dataSource.CreateCommand($"SELECT xml FROM {Table} ORDER BY created_at");
        using var reader = cmd.ExecuteReader();
        var elements = new List<XElement>();
        while (reader.Read()) elements.Add(XElement.Parse(reader.GetString(0)));
        return elements;
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        EnsureTable();
        using var cmd = _dataSource.CreateCommand($"INSERT INTO {Table} (friendly_name, xml) VALUES ($1, $2) ON CONFLICT (friendly_name) DO NOTHING");
        cmd.Parameters.AddWithValue(friendlyName);
        cmd.Parameters.AddWithValue(element.ToString(SaveOptions.DisableFormatting));
        cmd.ExecuteNonQuery();
    }

    private void EnsureTable()
    {
        if (Volatile.Read(ref _tableReady) == 1) return;
        using var cmd = _dataSource.CreateCommand(
            $"CREATE TABLE IF NOT EXISTS {Table} (friendly_name text PRIMARY KEY, xml text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())");
        try
        {
            cmd.ExecuteNonQuery();
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateObject)
        {
            // Two nodes created the table at the same instant: it exists now.
        }
        Volatile.Write(ref _tableReady, 1);
    }
}
