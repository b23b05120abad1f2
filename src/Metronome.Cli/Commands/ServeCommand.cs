using System.CommandLine;

namespace Metronome.Cli.Commands;

/// <summary>
/// <c>metronome serve [--urls ...] [--METRONOME_DATA=...]</c>: runs the Metronome server, which ships as its own tool
/// (<see cref="ServerLocator"/>); every argument is passed on to it. Without the server installed it says how to install it.
/// </summary>
internal static class ServeCommand
{
    /// <summary>Exit code when the server is not installed.</summary>
    public const int NotInstalled = 3;

    public static Command Build(CliConsole console)
    {
        var serve = new Command("serve", $"Run the Metronome server (API, dashboard, engine), the '{ServerLocator.ToolCommand}' tool; settings as for the server (--urls, METRONOME_DATA, ...)")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        serve.SetAction(async (result, _) =>
        {
            var launch = ServerLocator.Find(console.Environment, AppContext.BaseDirectory, File.Exists, out var problem);
            if (launch is null)
            {
                await console.Error.WriteLineAsync($"metronome: {problem}; install it with:{Environment.NewLine}  {ServerLocator.InstallCommand}"
                    + $"{Environment.NewLine}or set {ServerLocator.Variable} to the path of {ServerLocator.ToolCommand} or {ServerLocator.Assembly}");
                return NotInstalled;
            }
            // The host's own signal handling (and its token) is off for serve: the launcher passes signals to the server
            // and waits for it, however long its graceful stop takes.
            return await ServerLauncher.RunAsync(launch, [.. result.UnmatchedTokens]);
        });
        return serve;
    }
}
