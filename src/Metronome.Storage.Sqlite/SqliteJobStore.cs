using Metronome.Core.Runs;
using Metronome.Core.Storage;
using Metronome.Storage.Sqlite.Internal;
using Microsoft.Data.Sqlite;

namespace Metronome.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode. All writes go through one dedicated connection guarded by an async
/// lock (SQLite has one writer anyway; queuing in-process is cheaper than spinning on SQLITE_BUSY), and every write
/// transaction starts with <c>BEGIN IMMEDIATE</c> so that another process or store instance on the same file waits
/// instead of failing a read-to-write upgrade. Reads use pooled connections and never wait for the writer.
/// </summary>
/// <remarks>Register one instance per process and database file (<see cref="SqliteServiceCollectionExtensions.AddMetronomeSqlite"/>).</remarks>
public sealed partial class SqliteJobStore : IJobStore, ICatalogStore, IStoreWritability, IAsyncDisposable
{
    private readonly TimeProvider _time;
    private readonly SqliteStoreOptions _options;
    private readonly string _readConnectionString;
    private readonly string _writeConnectionString;
    private readonly WriteGate _writeLock = new();
    private readonly RunIdGenerator _runIds;
    private SqliteConnection? _writer;
    private WalCheckpointer? _checkpointer;
    private DatabaseFileGuard? _guard;
    private int _disposed;

    /// <summary>Creates the store; the database file (and its directory) is created on first use, the schema by <see cref="MigrateAsync"/>.</summary>
    /// <param name="options">Where the database is and how durable commits are.</param>
    /// <param name="time">The clock of run ids and of recorded instants not given by the caller.</param>
    public SqliteJobStore(SqliteStoreOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        if (string.IsNullOrWhiteSpace(options.DatabasePath))
            throw new ArgumentException("SqliteStoreOptions.DatabasePath is required.", nameof(options));
        if (options.BusyTimeout < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(options), "SqliteStoreOptions.BusyTimeout must not be negative.");

        _options = options;
        _time = time;
        _runIds = new RunIdGenerator(time);
        var path = Path.GetFullPath(options.DatabasePath);
        if (Path.GetDirectoryName(path) is { Length: > 0 } directory)
            Directory.CreateDirectory(directory);

        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = (int)Math.Ceiling(options.BusyTimeout.TotalSeconds),
        };
        _readConnectionString = builder.ToString();
        // The writer lives as long as the store; keeping it out of the pool keeps its pragmas off the readers.
        builder.Pooling = false;
        _writeConnectionString = builder.ToString();
    }

    /// <summary>The full path of the database file.</summary>
    public string DatabasePath => new SqliteConnectionStringBuilder(_readConnectionString).DataSource;

    /// <summary>Runs <paramref name="work"/> in one write transaction on the single writer connection.</summary>
    private Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, T> work, CancellationToken ct) => WriteAsync(work, urgent: false, ct);

    /// <summary>As above; an <paramref name="urgent"/> write (a claim) goes before queued ordinary ones (outcomes, commands).</summary>
    private async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, T> work, bool urgent, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        // A commit into a deleted or read-only file would be acknowledged and then lost: refuse it. The answer is cached
        // (one probe a second), and asked before the write gate so that a probe never holds up the writer.
        Volatile.Read(ref _guard)?.ThrowIfUnusable();
        await _writeLock.EnterAsync(urgent, ct).ConfigureAwait(false);
        try
        {
            ct.ThrowIfCancellationRequested();
            // Checked again under the lock: a caller that waited through DisposeAsync must not reopen the writer.
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            var connection = _writer ??= OpenWriter();
            using var tx = connection.BeginTransaction(deferred: false); // BEGIN IMMEDIATE: take the write lock first
            var result = work(connection, tx);
            tx.Commit();
            return result;
        }
        finally
        {
            _writeLock.Exit();
        }
    }

    private Task WriteAsync(Action<SqliteConnection, SqliteTransaction> work, CancellationToken ct) =>
        WriteAsync<bool>((c, tx) => { work(c, tx); return true; }, ct);

    /// <summary>Runs <paramref name="work"/> on a pooled read connection (WAL: reads see the last commit and never block the writer).</summary>
    private async Task<T> ReadAsync<T>(Func<SqliteConnection, T> work, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        ct.ThrowIfCancellationRequested();
        await using var connection = new SqliteConnection(_readConnectionString);
        connection.Open();
        return work(connection);
    }

    private SqliteConnection OpenWriter()
    {
        var connection = new SqliteConnection(_writeConnectionString);
        try
        {
            connection.Open();
            var synchronous = _options.Synchronous == SqliteSynchronous.Normal ? "NORMAL" : "FULL";
            connection.Execute(null, $"""
                PRAGMA journal_mode = WAL;
                PRAGMA synchronous = {synchronous};
                PRAGMA foreign_keys = ON;
                PRAGMA busy_timeout = {(long)_options.BusyTimeout.TotalMilliseconds};
                PRAGMA wal_autocheckpoint = 0;
                PRAGMA journal_size_limit = {WalCheckpointer.JournalSizeLimit};
                """);
            // Checkpoints move off the commit path (see WalCheckpointer); they start with the writer.
            _checkpointer ??= new WalCheckpointer(_writeConnectionString, _time, _writeLock);
            _guard ??= DatabaseFileGuard.Open(DatabasePath, _time);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    /// <remarks>Opens the writer if no write happened yet, then asks the file guard (its answer is at most a second old).</remarks>
    public async Task CheckWritableAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref _guard) is null) await WriteAsync((_, _) => true, ct).ConfigureAwait(false);
        Volatile.Read(ref _guard)?.ThrowIfUnusable();
    }

    /// <summary>Closes the writer and releases pooled read connections of this file. Safe to call more than once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _writeLock.EnterAsync(urgent: true, CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (_checkpointer is not null) await _checkpointer.DisposeAsync().ConfigureAwait(false);
            _checkpointer = null;
            if (_writer is not null) await _writer.DisposeAsync().ConfigureAwait(false);
            _writer = null;
            _guard?.Dispose();
            _guard = null;
            using var pooled = new SqliteConnection(_readConnectionString);
            SqliteConnection.ClearPool(pooled);
        }
        finally
        {
            _writeLock.Exit();
        }
    }
}
