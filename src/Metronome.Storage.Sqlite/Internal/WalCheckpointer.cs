using Microsoft.Data.Sqlite;

namespace Metronome.Storage.Sqlite.Internal;

/// <summary>
/// Checkpoints the WAL from its own connection, so that no commit pays for it. SQLite's automatic checkpoint runs inside
/// the commit that crosses 1,000 WAL pages and fsyncs the database file there: a claim commit that should take a
/// millisecond then takes tens (the lateness tails of the precision benchmark). The writer turns it off
/// (<c>wal_autocheckpoint = 0</c>) and this loop runs a <c>PASSIVE</c> checkpoint every <see cref="Interval"/>: it never
/// blocks the writer or readers, and once it has copied every frame the writer's next transaction starts the WAL over.
/// Under a continuous stream of commits that restart never comes (the writer's transaction is always older than the
/// last checkpointed frame) and the WAL would grow without bound, so once it holds more than <see cref="RestartFrames"/>
/// a second pass runs holding the store's write gate (behind any waiting claim): only the frames written since the first
/// pass are left to copy, and the next write transaction starts the WAL over.
/// </summary>
internal sealed class WalCheckpointer : IAsyncDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    /// <summary>WAL size (in pages) beyond which a checkpoint also takes the write gate so the WAL restarts (SQLite's own
    /// auto-checkpoint threshold is 1,000).</summary>
    public const long RestartFrames = 4_000;

    /// <summary>Bytes the WAL file is truncated to when it restarts after a burst (<c>journal_size_limit</c>).</summary>
    public const long JournalSizeLimit = 64L * 1024 * 1024;

    private readonly string _connectionString;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private readonly WriteGate _gate;

    public WalCheckpointer(string connectionString, TimeProvider time, WriteGate gate)
    {
        _connectionString = connectionString;
        _time = time;
        _gate = gate;
        _loop = Task.Run(RunAsync);
    }

    private async Task RunAsync()
    {
        SqliteConnection? connection = null;
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                try { await Task.Delay(Interval, _time, _stop.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
                try
                {
                    if (connection is null)
                    {
                        connection = new SqliteConnection(_connectionString);
                        connection.Open();
                    }
                    if (Checkpoint(connection) < RestartFrames) continue;
                    await _gate.EnterAsync(urgent: false, _stop.Token).ConfigureAwait(false);
                    try { Checkpoint(connection); }
                    finally { _gate.Exit(); }
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (SqliteException)
                {
                    // Busy or locked by another process: the next round tries again (the WAL only grows meanwhile).
                }
            }
        }
        finally
        {
            connection?.Dispose();
        }
    }

    /// <summary>One passive checkpoint; returns the size of the WAL in pages.</summary>
    private static long Checkpoint(SqliteConnection connection)
    {
        using var cmd = connection.Command(null, "PRAGMA wal_checkpoint(PASSIVE)");
        using var r = cmd.ExecuteReader();
        return r.Read() ? r.GetInt64(1) : 0; // busy, frames in the WAL, frames checkpointed
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try { await _loop.ConfigureAwait(false); }
        catch (Exception) { /* the loop only ends; nothing to report at close */ }
        _stop.Dispose();
    }
}
