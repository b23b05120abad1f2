using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Metronome.Cli.Commands;

/// <summary>
/// Runs the server as a child process that shares this console (no redirection: its logs are the server's own), and
/// passes on the signals a supervisor sends to this process only (SIGTERM from systemd, Docker or Kubernetes; SIGINT,
/// SIGQUIT), so that the server stops gracefully (SPEC §7: it drains for up to its shutdown timeout) and this process
/// exits with the server's exit code once it has. Ctrl+C in a terminal reaches both processes anyway.
/// </summary>
internal static partial class ServerLauncher
{
    public static async Task<int> RunAsync(ServerLaunch launch, IReadOnlyList<string> arguments)
    {
        var info = new ProcessStartInfo(launch.FileName, [.. launch.LeadingArguments, .. arguments]) { UseShellExecute = false };
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {launch.FileName}");
        var forwards = new List<PosixSignalRegistration>();
        try
        {
            foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGQUIT })
                forwards.Add(PosixSignalRegistration.Create(signal, context =>
                {
                    context.Cancel = true; // this process waits for the server instead of ending now
                    Forward(process, context.Signal);
                }));
            await process.WaitForExitAsync(CancellationToken.None);
            return process.ExitCode;
        }
        finally
        {
            forwards.ForEach(f => f.Dispose());
        }
    }

    private static void Forward(Process process, PosixSignal signal)
    {
        if (OperatingSystem.IsWindows() || process.HasExited) return; // Windows: Ctrl+C reaches the whole console group
        var number = signal switch { PosixSignal.SIGTERM => 15, PosixSignal.SIGQUIT => 3, _ => 2 };
        _ = Kill(process.Id, number);
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
