using System.CommandLine;
using Metronome.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

namespace Metronome.Cli.Commands;

/// <summary><c>metronome serve [--urls ...] [--METRONOME_DATA=...]</c>: runs the server in this process.</summary>
internal static class ServeCommand
{
    public static Command Build(CliConsole console)
    {
        var serve = new Command("serve", "Run the Metronome server (API, dashboard, engine); settings as for the server (--urls, METRONOME_DATA, ...)")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        serve.SetAction(async (result, ct) =>
        {
            WebApplication app;
            try
            {
                MetronomeServer.UseOwnerOnlyFileCreation();
                app = MetronomeServer.Build([.. result.UnmatchedTokens]);
            }
            catch (ServerConfigurationException e)
            {
                await console.Error.WriteLineAsync($"metronome: {e.Message}");
                return CliFailure.UsageError;
            }
            // The host stops on Ctrl+C or SIGTERM itself; the token covers the same signals as seen by the command line.
            await ((IHost)app).RunAsync(ct);
            return 0;
        });
        return serve;
    }
}
