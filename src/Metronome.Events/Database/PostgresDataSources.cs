using System.Collections.Concurrent;
using Npgsql;

namespace Metronome.Events.Database;

/// <summary>
/// One <see cref="NpgsqlDataSource"/> (and so one connection pool) per distinct rendered connection string, kept for
/// the life of the executor and disposed with it. Bounded: past <see cref="Capacity"/> distinct strings (a connection
/// string templated per run, say) a plain <see cref="NpgsqlConnection"/> is used, which still pools in Npgsql's
/// global pool, so a definition can never make this cache grow without limit.
/// </summary>
internal sealed class PostgresDataSources : IAsyncDisposable, IDisposable
{
    public const int Capacity = 64;

    private readonly ConcurrentDictionary<string, Lazy<NpgsqlDataSource>> _sources = new(StringComparer.Ordinal);
    private volatile bool _disposed;

    public int Count => _sources.Count;

    public NpgsqlConnection CreateConnection(string connectionString)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_sources.TryGetValue(connectionString, out var existing) || _sources.Count < Capacity)
        {
            // Lazy: two racing attempts on a new string must not build (and leak) two pools.
            var source = existing ?? _sources.GetOrAdd(connectionString,
                cs => new Lazy<NpgsqlDataSource>(() => NpgsqlDataSource.Create(cs), LazyThreadSafetyMode.ExecutionAndPublication));
            return source.Value.CreateConnection();
        }
        return new NpgsqlConnection(connectionString);
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        foreach (var source in _sources.Values.Where(s => s.IsValueCreated)) await source.Value.DisposeAsync().ConfigureAwait(false);
        _sources.Clear();
    }

    public void Dispose()
    {
        _disposed = true;
        foreach (var source in _sources.Values.Where(s => s.IsValueCreated)) source.Value.Dispose();
        _sources.Clear();
    }
}
