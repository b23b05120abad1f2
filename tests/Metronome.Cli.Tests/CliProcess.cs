using System.Diagnostics;
using System.Text;
using System.Threading.Channels;
using Metronome.Testing.Processes;

namespace Metronome.Cli.Tests;

/// <summary>The built <c>metronome</c> command run as a process, configured through METRONOME_URL / METRONOME_API_KEY.</summary>
public sealed class CliProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly StringBuilder _stderr = new();

    private CliProcess(Process process) => _process = process;

    public static string Dll => ServerProcess.BuiltAssembly("Metronome.Cli", "metronome");

    /// <summary>The server built beside the tests (the CLI no longer carries it): <c>metronome serve</c> runs it through <c>METRONOME_SERVER</c>.</summary>
    public static string ServerDll => ServerProcess.BuiltAssembly("Metronome.Server", "Metronome.Server");

    public static IDictionary<string, string> ServerEnvironment => new Dictionary<string, string> { ["METRONOME_SERVER"] = ServerDll };

    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    public static ProcessStartInfo Info(Uri url, string apiKey, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("dotnet", [Dll, .. args])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        info.Environment["METRONOME_URL"] = url.ToString();
        info.Environment["METRONOME_API_KEY"] = apiKey;
        info.Environment.Remove("METRONOME_PRODUCT");
        return info;
    }

    /// <summary>Runs to completion: exit code, stdout, stderr.</summary>
    public static async Task<CliResult> RunAsync(Uri url, string apiKey, string[] args, string? stdin = null)
    {
        using var process = Process.Start(Info(url, apiKey, args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null) await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts a long-running command (<c>runs --follow</c>) whose output lines can be awaited.</summary>
    public static CliProcess Start(Uri url, string apiKey, string[] args)
    {
        var process = Process.Start(Info(url, apiKey, args))!;
        var cli = new CliProcess(process);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) cli._lines.Writer.TryWrite(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (cli._stderr) cli._stderr.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return cli;
    }

    /// <summary>Waits for a stdout line matching <paramref name="match"/>; throws with what was seen on timeout.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan patience)
    {
        var seen = new StringBuilder();
        using var cts = new CancellationTokenSource(patience);
        try
        {
            while (true)
            {
                var line = await _lines.Reader.ReadAsync(cts.Token);
                seen.AppendLine(line);
                if (match(line)) return line;
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no matching line after {patience}. stdout:\n{seen}\nstderr:\n{Stderr}");
        }
    }

    public bool HasExited => _process.HasExited;

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}

public sealed record CliResult(int ExitCode, string Stdout, string Stderr);
