using Metronome.Core;
using Microsoft.Win32.SafeHandles;

namespace Metronome.Storage.Sqlite.Internal;

/// <summary>
/// Knows whether the database file the writer opened can still keep what is written to it. SQLite writes happily to a
/// file whose directory was deleted (the inode lives on while open) or that was made read-only after it was opened, so
/// commits would succeed and vanish at the next start. The guard holds its own read-only handle on the file opened with
/// the writer and, at most once per <see cref="ProbeInterval"/>, checks that the path still names that same file
/// (on Linux: <c>/proc/self/fd/N</c> still resolves to the path, not "(deleted)" or elsewhere), that the file keeps its
/// owner-write bit (a <c>chmod 0400</c> is honoured even by root, who could otherwise still write), and that a probe
/// file can be created next to it (a read-only file system). Writes and the health check ask it; the answer is cached,
/// so a write pays for a stat at most once a second.
/// </summary>
internal sealed class DatabaseFileGuard : IDisposable
{
    public static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(1);

    private readonly string _path;
    private readonly TimeProvider _time;
    private readonly SafeFileHandle _handle;
    private readonly string? _openedTarget;
    private readonly Lock _lock = new();
    private long _probedAt = long.MinValue;
    private string? _problem;

    private DatabaseFileGuard(string path, TimeProvider time, SafeFileHandle handle)
    {
        _path = path;
        _time = time;
        _handle = handle;
        _openedTarget = FdTarget();
    }

    /// <summary>Opens the guard on the file the writer just opened. Never closes a handle SQLite uses: this one is its own,
    /// held until the store is disposed (closing a descriptor of the file drops the process's POSIX locks on it).</summary>
    public static DatabaseFileGuard Open(string path, TimeProvider time) =>
        new(path, time, File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));

    /// <summary>Throws <see cref="StoreUnavailableException"/> when the last probe (at most <see cref="ProbeInterval"/> old) found a problem.</summary>
    public void ThrowIfUnusable(bool fresh = false)
    {
        if (Problem(fresh) is { } problem) throw new StoreUnavailableException(problem);
    }

    /// <summary>Null while the file is usable; else why not.</summary>
    public string? Problem(bool fresh)
    {
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            // Once lost, always lost: a file deleted under the running store does not come back by being recreated.
            if (_problem is not null && !_problem.StartsWith("read-only", StringComparison.Ordinal)) return _problem;
            if (!fresh && _probedAt != long.MinValue && _time.GetElapsedTime(_probedAt, now) < ProbeInterval) return _problem;
            _problem = Probe();
            _probedAt = now;
            return _problem;
        }
    }

    private string? Probe()
    {
        if (!File.Exists(_path)) return $"the database file {_path} was deleted while in use; restart the server";
        if (_openedTarget is not null && FdTarget() != _openedTarget)
            return $"the database file {_path} was replaced or moved while in use; restart the server";
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(_path) & UnixFileMode.UserWrite) == 0)
            return $"read-only: the database file {_path} is not writable";
        var probe = Path.Combine(Path.GetDirectoryName(_path)!, $".{Path.GetFileName(_path)}.probe");
        try
        {
            using (new FileStream(probe, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Options = FileOptions.DeleteOnClose })) { }
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"read-only: the directory of the database file {_path} is not writable ({e.Message})";
        }
    }

    /// <summary>What the guard's own descriptor resolves to (Linux <c>/proc</c>); null where that is not available.</summary>
    private string? FdTarget()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            return new FileInfo($"/proc/self/fd/{_handle.DangerousGetHandle()}").LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public void Dispose() => _handle.Dispose();
}
