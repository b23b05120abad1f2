using System.Security.Cryptography;
using System.Text;

namespace Metronome.Server.Hosting;

/// <summary>
/// The admin key of this server. Only its SHA-256 is kept in memory and compared in constant time, so neither the
/// key's content nor its length leaks through timing.
/// </summary>
internal sealed class AdminKey
{
    private const string Prefix = "mka_";
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly byte[] _hash;

    private AdminKey(string key) => _hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>
    /// Names this admin key in a stored session without storing anything that would let one compare keys against it offline
    /// (the SHA-256 of the key's SHA-256). A new admin key (a restart with another one) ends every admin session.
    /// </summary>
    public string Fingerprint => "admin:" + Convert.ToHexStringLower(SHA256.HashData(_hash));

    public bool Matches(string candidate) =>
        CryptographicOperations.FixedTimeEquals(_hash, SHA256.HashData(Encoding.UTF8.GetBytes(candidate)));

    /// <summary>
    /// Uses <see cref="ServerSettings.AdminKey"/> when given; else reads <c>admin.key</c> from the data directory, or
    /// generates it there (mode 0600) and prints it once.
    /// </summary>
    public static AdminKey Load(ServerSettings settings, TextWriter console)
    {
        if (settings.AdminKey is { } given)
        {
            if (given.Length < 16) throw new ServerConfigurationException("METRONOME_ADMIN_KEY must be at least 16 characters long.");
            console.WriteLine("Admin key: taken from METRONOME_ADMIN_KEY.");
            return new AdminKey(given);
        }
        var path = settings.AdminKeyPath;
        if (File.Exists(path))
        {
            var stored = File.ReadAllText(path).Trim();
            if (stored.Length == 0) throw new ServerConfigurationException($"{path} is empty; delete it to generate a new admin key.");
            console.WriteLine($"Admin key: stored in {path}.");
            return new AdminKey(stored);
        }
        var key = Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        Write(path, key);
        console.WriteLine($"Admin key written to {path}: {key}");
        return new AdminKey(key);
    }

    private static void Write(string path, string key)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        // The key is created readable by its owner only; there is no moment at which it is world-readable.
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = OwnerOnly;
        using (var stream = new FileStream(path, options))
        using (var writer = new StreamWriter(stream))
            writer.WriteLine(key);
        // UnixCreateMode is filtered by the umask; make the mode exact.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, OwnerOnly);
    }
}
