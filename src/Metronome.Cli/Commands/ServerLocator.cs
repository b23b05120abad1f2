namespace Metronome.Cli.Commands;

/// <summary>How to start the server: an executable, or <c>dotnet</c> with the server's assembly first among the arguments.</summary>
internal sealed record ServerLaunch(string FileName, IReadOnlyList<string> LeadingArguments);

/// <summary>
/// Finds the Metronome server for <c>metronome serve</c>. The server is its own tool (package <c>Metronome.Server</c>,
/// command <c>metronome-server</c>), so the CLI package carries no ASP.NET Core, store drivers or executors. Looked for,
/// in this order: <c>METRONOME_SERVER</c> (the path of <c>metronome-server</c> or of <c>Metronome.Server.dll</c>); the
/// CLI's own folder (both published into one folder); <c>metronome-server</c> on <c>PATH</c>; the global tools folder
/// (<c>~/.dotnet/tools</c>, which a fresh shell may not have on PATH yet).
/// </summary>
internal static class ServerLocator
{
    public const string Variable = "METRONOME_SERVER";
    public const string ToolCommand = "metronome-server";
    public const string Assembly = "Metronome.Server.dll";
    public const string InstallCommand = "dotnet tool install --global Metronome.Server";

    /// <param name="environment">Environment variables (tests pass their own).</param>
    /// <param name="cliDirectory">The folder of the running CLI (<see cref="AppContext.BaseDirectory"/>).</param>
    /// <param name="exists">Whether a file exists (tests pass their own).</param>
    /// <returns>The launch, or null with <paramref name="problem"/> saying what is missing.</returns>
    public static ServerLaunch? Find(Func<string, string?> environment, string cliDirectory, Func<string, bool> exists, out string? problem)
    {
        problem = null;
        if (environment(Variable) is { Length: > 0 } configured)
        {
            if (exists(configured)) return LaunchOf(configured, environment);
            problem = $"{Variable} is set to '{configured}', which does not exist";
            return null;
        }
        var executable = OperatingSystem.IsWindows() ? ToolCommand + ".exe" : ToolCommand;
        foreach (var candidate in new[] { Path.Combine(cliDirectory, executable), Path.Combine(cliDirectory, Assembly) })
            if (exists(candidate)) return LaunchOf(candidate, environment);
        foreach (var folder in (environment("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            if (Path.Combine(folder, executable) is var onPath && exists(onPath)) return LaunchOf(onPath, environment);
        var home = environment("DOTNET_CLI_HOME") is { Length: > 0 } cliHome ? cliHome : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (Path.Combine(home, ".dotnet", "tools", executable) is var tool && exists(tool)) return LaunchOf(tool, environment);
        problem = $"the Metronome server is not installed (serve runs the '{ToolCommand}' tool)";
        return null;
    }

    /// <summary>An assembly runs on the dotnet host that runs this CLI (else the one on PATH); anything else runs itself.</summary>
    private static ServerLaunch LaunchOf(string path, Func<string, string?> environment)
    {
        if (!path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)) return new ServerLaunch(path, []);
        var host = environment("DOTNET_HOST_PATH") is { Length: > 0 } sdkHost ? sdkHost
            : Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self
            : "dotnet";
        return new ServerLaunch(host, [path]);
    }
}
