using System.Diagnostics;

namespace Metronome.Testing;

/// <summary>
/// Makes a folder read-only for everyone, root included, while it is held: <c>chattr +i</c> sets the ext4 immutable
/// attribute, so no file can be created, renamed or removed in it (the tests run as root, whom <c>chmod</c> does not stop).
/// Disposing clears the attribute again. Needs <c>chattr</c> (e2fsprogs) and a file system with the attribute (ext4, xfs).
/// </summary>
public sealed class ImmutableFolder : IDisposable
{
    private readonly string _path;

    private ImmutableFolder(string path) => _path = path;

    public static ImmutableFolder Hold(string path)
    {
        Chattr("+i", path);
        return new ImmutableFolder(path);
    }

    public void Dispose() => Chattr("-i", _path);

    private static void Chattr(string flag, string path)
    {
        using var process = Process.Start(new ProcessStartInfo("chattr", [flag, path]) { RedirectStandardError = true })
            ?? throw new InvalidOperationException("chattr did not start");
        var error = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(10_000)) throw new TimeoutException($"chattr {flag} {path} did not finish");
        if (process.ExitCode != 0) throw new InvalidOperationException($"chattr {flag} {path} failed ({process.ExitCode}): {error}");
    }
}
