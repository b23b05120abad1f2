using Microsoft.Data.Sqlite;

namespace Metronome.Events.Database;

/// <summary>
/// Where a <c>database_action</c> may open an SQLite database. The path of the connection string (<c>Data Source</c>
/// or <c>Filename</c>, a <c>file:</c> URI, <c>|DataDirectory|</c>, relative to the working directory) is resolved as
/// <c>realpath</c> would, symlinks followed (the file, or its directory for a file still to be created), and then:
/// never inside a protected path (the server's data directory) or <c>/proc</c>, <c>/sys</c>, <c>/dev</c>; with a root
/// set, only under it. In-memory databases (<c>:memory:</c>, <c>Mode=Memory</c>, <c>file:…?mode=memory</c>) and the
/// empty data source (a private temporary file) are always allowed. The connection actually opened names the resolved
/// path, so what was checked is what is opened.
/// </summary>
internal sealed class SqlitePathPolicy
{
    private static readonly string[] SystemPaths = ["/proc", "/sys", "/dev"];
    private const int MaxSymlinkHops = 40;

    private readonly string[] _protected;
    private readonly string? _root;

    private SqlitePathPolicy(string[] protectedPaths, string? root)
    {
        _protected = protectedPaths;
        _root = root;
    }

    /// <exception cref="ArgumentException">The root or a protected path is not absolute; the message names the setting.</exception>
    public static SqlitePathPolicy From(EventsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.SqliteRoot is { } root && !Path.IsPathFullyQualified(root))
            throw new ArgumentException($"{EventsOptions.SqliteRootSetting}: must be an absolute directory path.", nameof(options));
        if (options.ProtectedPaths.FirstOrDefault(p => !Path.IsPathFullyQualified(p)) is { } relative)
            throw new ArgumentException($"ProtectedPaths: '{relative}' must be an absolute path.", nameof(options));
        return new SqlitePathPolicy([.. options.ProtectedPaths], options.SqliteRoot);
    }

    /// <summary>
    /// Null when <paramref name="connection"/> (a valid SQLite connection string) may be opened, with
    /// <paramref name="resolved"/> the connection string to open instead; else why not (never quoting the string).
    /// </summary>
    public string? Check(string connection, out string resolved)
    {
        resolved = connection;
        var builder = new SqliteConnectionStringBuilder(connection);
        if (builder.Mode == SqliteOpenMode.Memory) return null; // the name only keys a shared cache, no file is opened
        var source = builder.DataSource;
        string path;
        if (source.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            if (FileUriPath(source, builder, out var problem) is not { } uriPath) return problem;
            path = uriPath;
        }
        else if (source.StartsWith("|DataDirectory|", StringComparison.OrdinalIgnoreCase))
        {
            var directory = AppDomain.CurrentDomain.GetData("DataDirectory") as string ?? AppContext.BaseDirectory;
            path = Path.Join(directory, source["|DataDirectory|".Length..]);
        }
        else path = source;
        if (path.Length == 0 || path == ":memory:") return null;
        if (!Path.IsPathRooted(path)) path = Path.Join(Environment.CurrentDirectory, path);

        if (RealPath(path) is not { } real) return "The SQLite database path cannot be resolved (too many symbolic links).";
        var lexical = Path.GetFullPath(path);
        if (SystemPaths.Any(p => IsUnder(lexical, p) || IsUnder(real, p)))
            return "The SQLite database path is refused: /proc, /sys and /dev are never opened.";
        foreach (var guarded in _protected)
        {
            if (IsUnder(real, guarded) || IsUnder(lexical, guarded) || (RealPath(guarded) is { } realGuarded && IsUnder(real, realGuarded)))
                return "The SQLite database path is refused: it is inside the server's own data directory.";
        }
        if (_root is not null && !(RealPath(_root) is { } realRoot && IsUnder(real, realRoot)))
            return $"The SQLite database path is refused: {EventsOptions.SqliteRootSetting} only allows databases under {_root}.";
        builder.DataSource = real;
        resolved = builder.ToString();
        return null;
    }

    /// <summary>The path of an SQLite <c>file:</c> URI, or null (memory, or refused with <paramref name="problem"/>).</summary>
    private static string? FileUriPath(string source, SqliteConnectionStringBuilder builder, out string? problem)
    {
        problem = null;
        var rest = source[5..];
        var hash = rest.IndexOf('#', StringComparison.Ordinal);
        if (hash >= 0) rest = rest[..hash];
        var question = rest.IndexOf('?', StringComparison.Ordinal);
        var query = question >= 0 ? rest[(question + 1)..] : string.Empty;
        var path = question >= 0 ? rest[..question] : rest;
        var parameters = query.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .ToDictionary(p => Uri.UnescapeDataString(p[0]).ToLowerInvariant(), p => p.Length > 1 ? Uri.UnescapeDataString(p[1]) : string.Empty);
        if (parameters.TryGetValue("mode", out var mode) && mode == "memory") return null;
        if (parameters.ContainsKey("vfs"))
        {
            problem = "The SQLite URI parameter vfs is not allowed.";
            return null;
        }
        if (path.StartsWith("//", StringComparison.Ordinal))
        {
            var slash = path.IndexOf('/', 2);
            var authority = slash < 0 ? path[2..] : path[2..slash];
            if (authority.Length > 0 && !authority.Equals("localhost", StringComparison.OrdinalIgnoreCase))
            {
                problem = "An SQLite file: URI names a local file (file:/path or file:///path).";
                return null;
            }
            path = slash < 0 ? string.Empty : path[slash..];
        }
        path = Uri.UnescapeDataString(path);
        if (path is ":memory:" or "") return null;
        // The URI is replaced by the resolved plain path: keep the access mode it asked for.
        builder.Mode = mode switch
        {
            "ro" => SqliteOpenMode.ReadOnly,
            "rw" => SqliteOpenMode.ReadWrite,
            _ => builder.Mode,
        };
        return path;
    }

    private static bool IsUnder(string path, string directory)
    {
        var dir = directory.Length > 1 ? directory.TrimEnd('/', '\\') : directory;
        var comparison = OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        return path.Equals(dir, comparison) || path.StartsWith(dir + Path.DirectorySeparatorChar, comparison) || dir == "/";
    }

    /// <summary>
    /// The path with every symbolic link resolved, as POSIX <c>realpath</c> does for existing components; components
    /// that do not exist yet (a database to be created) are kept as written. ".." applies after resolution, like the
    /// kernel. Null after too many links (a loop).
    /// </summary>
    internal static string? RealPath(string path)
    {
        if (OperatingSystem.IsWindows()) return Path.GetFullPath(path);
        var pending = new Stack<string>();
        PushComponents(pending, path);
        var current = "/";
        var hops = 0;
        while (pending.Count > 0)
        {
            var part = pending.Pop();
            if (part is "" or ".") continue;
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? "/";
                continue;
            }
            var next = current == "/" ? "/" + part : current + "/" + part;
            string? target;
            try { target = new FileInfo(next).LinkTarget; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { target = null; }
            if (target is null)
            {
                current = next;
                continue;
            }
            if (++hops > MaxSymlinkHops) return null;
            PushComponents(pending, target);
            if (target.StartsWith('/')) current = "/";
        }
        return current;
    }

    private static void PushComponents(Stack<string> pending, string path)
    {
        var parts = path.Split('/');
        for (var i = parts.Length - 1; i >= 0; i--) pending.Push(parts[i]);
    }
}
