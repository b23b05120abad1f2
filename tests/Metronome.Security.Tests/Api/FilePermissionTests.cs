using System.Runtime.Versioning;
using System.Runtime.InteropServices;

namespace Metronome.Security.Tests.Api;

/// <summary>A server started with umask 000 on a data directory that already exists with mode 0777.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class UmaskZeroServer : HostileServer, IAsyncLifetime
{
    private static readonly SemaphoreSlim UmaskLock = new(1, 1);

    public new async Task InitializeAsync()
    {
        File.SetUnixFileMode(DataDirectory, (UnixFileMode)0b111_111_111);
        // The child inherits the umask of this process at start; restored at once (umask is process-wide).
        await UmaskLock.WaitAsync();
        uint previous = Umask(0);
        try
        {
            await base.InitializeAsync();
        }
        finally
        {
            Umask(previous);
            UmaskLock.Release();
        }
    }

#pragma warning disable SYSLIB1054 // a blittable signature: no marshalling, no unsafe code needed
    [DllImport("libc", EntryPoint = "umask")]
    private static extern uint Umask(uint mask);
#pragma warning restore SYSLIB1054
}

/// <summary>
/// Attack 13: the data directory was 0755 (0777 under umask 000) and the database and WAL 0644. Now the directory and
/// the Data Protection key directory are 0700 and the database, WAL and SHM files 0600, whatever the umask.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class FilePermissionTests(UmaskZeroServer server) : IClassFixture<UmaskZeroServer>
{
    private const UnixFileMode OwnerDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    [Fact]
    public async Task Under_umask_000_the_data_directory_is_0700_and_the_database_files_0600()
    {
        var tenant = await server.CreateTenantAsync("modes");
        await tenant.CreateEventAsync("function", "f", new { language = "javascript", code = "function handler(){ return 1; }" });
        await tenant.CreateJobAsync("j", "function", "f", executions: 1, intervals: 100);
        await tenant.WaitForFinishedRunsAsync("j", 1);
        var db = Path.Combine(server.DataDirectory, "metronome.db");

        Assert.Equal(OwnerDirectory, File.GetUnixFileMode(server.DataDirectory));
        Assert.Equal(OwnerDirectory, File.GetUnixFileMode(Path.Combine(server.DataDirectory, "keys")));
        foreach (var file in new[] { db, db + "-wal", db + "-shm" })
        {
            Assert.True(File.Exists(file), file);
            Assert.Equal(OwnerFile, File.GetUnixFileMode(file));
        }
        // Whatever else the process created in the data directory (Data Protection keys...) is owner-only too.
        foreach (var entry in Directory.EnumerateFileSystemEntries(server.DataDirectory, "*", SearchOption.AllDirectories))
            Assert.Equal((UnixFileMode)0, File.GetUnixFileMode(entry) & (UnixFileMode)0b000_111_111);
    }
}
