using System.Diagnostics;
using System.Text;

namespace Metronome.Testing;

/// <summary>
/// A peer server (redis-server, nats-server, smtp-sink…) run as a child process for the length of a fixture.
/// Output is captured for diagnostics; <see cref="DisposeAsync"/> stops it (TERM, then KILL).
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServiceProcess(Process process) => _process = process;

    public string Output { get { lock (_output) return _output.ToString(); } }
    public bool HasExited => _process.HasExited;
    public int Id => _process.Id;

    /// <summary>Starts <paramref name="file"/> and, when <paramref name="port"/> is given, waits until it listens there.</summary>
    public static async Task<ServiceProcess> StartAsync(string file, IEnumerable<string> args, int? port = null, string? workingDirectory = null,
        IDictionary<string, string>? env = null, TimeSpan? patience = null)
    {
        var info = new ProcessStartInfo(file, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) info.Environment[k] = v;
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        var service = new ServiceProcess(process);
        process.OutputDataReceived += (_, e) => service.Append(e.Data);
        process.ErrorDataReceived += (_, e) => service.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (port is { } p)
        {
            try
            {
                await FreePort.WaitListeningAsync(p, patience ?? TimeSpan.FromSeconds(60), () => $"{file} output:\n{service.Output}", () => service.HasExited);
            }
            catch
            {
                await service.DisposeAsync();
                throw;
            }
        }
        return service;
    }

    /// <summary>Runs a command to completion and returns its output; throws when it fails.</summary>
    public static async Task<string> RunAsync(string file, IEnumerable<string> args, IDictionary<string, string>? env = null, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) info.Environment[k] = v;
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(cts.Token);
        var output = await stdout + await stderr;
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}:\n{output}");
        return output;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    /// <summary>SIGKILL, for tests of a peer that dies.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                Process.Start("kill", ["-TERM", _process.Id.ToString()])?.WaitForExit(5_000);
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            }
        }
        _process.Dispose();
    }
}
