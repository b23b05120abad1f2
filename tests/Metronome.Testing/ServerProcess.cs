using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Metronome.Testing;

/// <summary>
/// The real Metronome server as a separate OS process on a free loopback port, so that a test can kill it with SIGKILL
/// (no shutdown code runs), pause it (SIGSTOP/SIGCONT), stop it gracefully (SIGTERM) or run several as the nodes of a cluster.
/// Output is captured for diagnostics.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private bool _disposed;

    private ServerProcess(Process process, Uri baseAddress, string name)
    {
        _process = process;
        BaseAddress = baseAddress;
        Name = name;
    }

    public Uri BaseAddress { get; }
    public string Name { get; }
    /// <summary>The loopback port it serves on (a restart under the same name passes it again).</summary>
    public int Port => BaseAddress.Port;
    /// <summary>The data directory it was started with (a restart under the same name reuses it).</summary>
    public string DataDirectory { get; private init; } = "";
    public bool HasExited => _disposed || _process.HasExited;
    public int ExitCode => _process.ExitCode;
    /// <summary>The server's process id (e.g. to read <c>/proc/&lt;pid&gt;/status</c>).</summary>
    public int Pid => _process.Id;
    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>Starts <c>Metronome.Server.dll</c> (built next to the calling test assembly) and waits until <c>/healthz</c> answers.</summary>
    /// <param name="name">A label for diagnostics (e.g. the node name).</param>
    /// <param name="port">The loopback port to serve on (a restart passes the previous one); a free one when null.</param>
    public static async Task<ServerProcess> StartAsync(string name, string dataDir, string adminKey, IDictionary<string, string>? env = null,
        TimeSpan? patience = null, int? port = null)
    {
        var baseAddress = new Uri($"http://127.0.0.1:{port ?? FreePort.Next()}");
        Directory.CreateDirectory(dataDir);
        var info = new ProcessStartInfo("dotnet", [ServerDll()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dataDir,
        };
        info.Environment["METRONOME_DATA"] = dataDir;
        info.Environment["METRONOME_URLS"] = baseAddress.ToString().TrimEnd('/');
        info.Environment["METRONOME_ADMIN_KEY"] = adminKey;
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) info.Environment[k] = v;
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the server process");
        var server = new ServerProcess(process, baseAddress, name) { DataDirectory = dataDir };
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await server.WaitHealthyAsync(patience ?? TimeSpan.FromSeconds(60));
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public void KillHard()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    /// <summary>SIGSTOP: the process freezes at once (threads, timers, sockets stay open and silent), as in a long GC or a VM freeze.</summary>
    public void Pause() => Signal(SigStop);

    /// <summary>SIGCONT: a paused process carries on where it stopped.</summary>
    public void Resume() => Signal(SigCont);

    /// <summary>SIGTERM: the host's graceful shutdown (what systemd, Kubernetes or Ctrl+C in a container send).</summary>
    public void Terminate() => Signal(SigTerm);

    /// <summary>Waits for the process to exit; false when it is still running after <paramref name="patience"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan patience)
    {
        using var cts = new CancellationTokenSource(patience);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0)
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed for {Name}: errno {Marshal.GetLastPInvokeError()}");
    }

    // Linux signal numbers (x86-64 and arm64 agree on these).
    private const int SigTerm = 15;
    private const int SigCont = 18;
    private const int SigStop = 19;

    // A blittable signature needs no marshalling, so the classic DllImport is enough (LibraryImport would need unsafe code).
#pragma warning disable SYSLIB1054
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
#pragma warning restore SYSLIB1054

    /// <summary>
    /// SIGTERM, the graceful stop an orchestrator sends (<c>kill -TERM</c>), then waits up to <paramref name="patience"/> for the
    /// process to exit. Returns how long it took, from the signal to the exit.
    /// </summary>
    public async Task<TimeSpan> TerminateAsync(TimeSpan patience)
    {
        var clock = Stopwatch.StartNew();
        Terminate();
        using var wait = new CancellationTokenSource(patience);
        try
        {
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"server {Name} still running {patience} after SIGTERM:\n{Output}");
        }
        return clock.Elapsed;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    private async Task WaitHealthyAsync(TimeSpan patience)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + patience;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"server {Name} exited with {_process.ExitCode}:\n{Output}");
            try
            {
                if ((await http.GetAsync("/healthz")).IsSuccessStatusCode) return;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException) { }
            await Task.Delay(200);
        }
        throw new TimeoutException($"server {Name} not healthy after {patience}:\n{Output}");
    }

    /// <summary>The server assembly built next to the test assembly (same artifacts layout and configuration).</summary>
    private static string ServerDll()
    {
        var testDir = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        var config = Path.GetFileName(testDir);
        var binRoot = Path.GetDirectoryName(Path.GetDirectoryName(testDir))!;
        var dll = Path.Combine(binRoot, "Metronome.Server", config, "Metronome.Server.dll");
        if (!File.Exists(dll)) dll = Path.Combine(AppContext.BaseDirectory, "Metronome.Server.dll");
        return dll;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
