using System.Runtime.InteropServices;

namespace Metronome.Server.Hosting;

/// <summary>
/// The data directory holds the database (every secret, encrypted; every key hash), the admin key and the Data
/// Protection key ring: no other local user may list or read it. The directory is made 0700 and the database files and
/// admin key 0600 at every start, whatever the umask and whatever bits an existing directory had. The database file is
/// created here, empty and 0600, before SQLite opens it, because SQLite gives its <c>-wal</c> and <c>-shm</c> files the
/// mode of the database file. The server process also sets its umask to 077 so that anything created later (Data
/// Protection key files, a WAL recreated after a restart) is owner-only too.
/// </summary>
internal static class DataDirectoryPermissions
{
    private const UnixFileMode OwnerDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Creates (or tightens) the data directory and the files in it that the server owns.</summary>
    public static void Apply(ServerSettings settings)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(settings.DataDirectory);
            return;
        }
        Directory.CreateDirectory(settings.DataDirectory, OwnerDirectory);
        File.SetUnixFileMode(settings.DataDirectory, OwnerDirectory); // an existing directory, or one filtered by a umask
        if (settings.Store != "postgres")
        {
            var db = settings.DatabasePath;
            if (!File.Exists(db))
            {
                using var created = new FileStream(db, new FileStreamOptions
                {
                    Mode = FileMode.OpenOrCreate, Access = FileAccess.Write, UnixCreateMode = OwnerFile,
                });
            }
            foreach (var file in (string[])[db, db + "-wal", db + "-shm", db + "-journal"])
                Tighten(file);
        }
        Tighten(settings.AdminKeyPath);
    }

    /// <summary>Sets this process's umask to 077 (owner-only for every file and directory it creates from now on).</summary>
    public static void RestrictUmask()
    {
        if (!OperatingSystem.IsWindows()) _ = Umask(0b000_111_111);
    }

    private static void Tighten(string file)
    {
        if (!OperatingSystem.IsWindows() && File.Exists(file)) File.SetUnixFileMode(file, OwnerFile);
    }

    // A blittable signature needs no marshalling, so the classic DllImport is enough (LibraryImport would need unsafe code).
#pragma warning disable SYSLIB1054
    [DllImport("libc", EntryPoint = "umask")]
    private static extern uint Umask(uint mask);
#pragma warning restore SYSLIB1054
}
