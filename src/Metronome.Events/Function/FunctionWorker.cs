using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Metronome.Core.Execution;
using Metronome.FunctionHost;

namespace Metronome.Events.Function;

/// <summary>
/// One worker process (<c>Metronome.FunctionHost</c>) running one attempt at a time. Runs tenants' code at lower CPU
/// priority, with a hard heap limit and a scrubbed environment (no server secrets); ends when its stdin closes.
/// </summary>
internal sealed class FunctionWorker : IDisposable
{
    private const int StderrTailChars = 2000;
    private static readonly TimeSpan StartPatience = TimeSpan.FromSeconds(60);
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly TimeSpan _killGrace;
    private int _disposed;
    private volatile bool _killed;

    private FunctionWorker(Process process, TimeSpan killGrace)
    {
        _process = process;
        _killGrace = killGrace;
    }

    public int ProcessId => _process.Id;
    public int Attempts { get; private set; }
    /// <summary>False once the process ended, was killed, or announced it exits: the pool replaces it.</summary>
    public bool Usable { get; private set; } = true;
    /// <summary>Set by <see cref="Dispose"/> when the process ended by itself once its stdin closed.</summary>
    public bool ExitedOnItsOwn { get; private set; }

    /// <summary>Starts a worker and waits for its ready frame (it warms its engine up first); kills it on failure.</summary>
    public static async Task<FunctionWorker> StartAsync(FunctionHostLocation host, FunctionPoolOptions options, CancellationToken ct)
    {
        var worker = Start(host, options);
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(ct);
        patience.CancelAfter(StartPatience);
        try
        {
            var ready = await WorkerProtocol.ReadAsync<WorkerResponse>(worker._process.StandardOutput.BaseStream, patience.Token)
                .WaitAsync(patience.Token).ConfigureAwait(false);
            if (ready is { Ready: true })
            {
                // Lowered once warmed up: the warm-up is Metronome's own code, and a slow start delays every tenant.
                worker.LowerPriority();
                return worker;
            }
            throw new InvalidOperationException("The function worker process ended before it was ready: " + worker.StderrTail());
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidDataException or System.Text.Json.JsonException)
        {
            worker.Kill();
            worker.Dispose();
            ct.ThrowIfCancellationRequested();
            throw new InvalidOperationException("The function worker process did not start: " + (e.Message + " " + worker.StderrTail()).Trim(), e);
        }
        catch
        {
            worker.Kill();
            worker.Dispose();
            throw;
        }
    }

    private void LowerPriority()
    {
        try
        {
            _process.PriorityClass = ProcessPriorityClass.BelowNormal;
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException or PlatformNotSupportedException)
        {
            // The worker still runs under its limits; it only competes with the server at the same priority.
        }
    }

    private string StderrTail()
    {
        lock (_stderr) return _stderr.ToString().Trim();
    }

    private static FunctionWorker Start(FunctionHostLocation host, FunctionPoolOptions options)
    {
        var info = new ProcessStartInfo(host.DotnetPath)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        info.ArgumentList.Add("exec");
        info.ArgumentList.Add("--runtimeconfig");
        info.ArgumentList.Add(host.RuntimeConfigPath);
        info.ArgumentList.Add(host.AssemblyPath);
        // The server's environment holds its admin key and connection strings: the worker gets none of it.
        var inherited = info.Environment.Where(kv => kv.Key is "PATH" or "HOME" or "TMPDIR" or "LANG" || kv.Key.StartsWith("LC_", StringComparison.Ordinal)
                                                     || kv.Key.StartsWith("DOTNET_ROOT", StringComparison.Ordinal)).ToList();
        info.Environment.Clear();
        foreach (var (key, value) in inherited) info.Environment[key] = value;
        info.Environment["DOTNET_GCHeapHardLimit"] = (options.WorkerHeapLimitMb * 1024L * 1024L).ToString("x", CultureInfo.InvariantCulture);
        info.Environment["DOTNET_gcServer"] = "0";
        info.Environment["DOTNET_gcConcurrent"] = "0";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["METRONOME_FUNCTION_HOST_CACHE_CHARS"] = options.ScriptCacheChars.ToString(CultureInfo.InvariantCulture);
        info.Environment["METRONOME_FUNCTION_HOST_RECYCLE_MB"] = options.WorkerRecycleHeapMb.ToString(CultureInfo.InvariantCulture);

        var process = Process.Start(info) ?? throw new InvalidOperationException("The function worker process could not be started.");
        var worker = new FunctionWorker(process, options.KillGrace);
        // Drained at all times: a dying worker may print a long stack trace, and a full pipe would hang it.
        process.ErrorDataReceived += (_, e) => worker.AppendStderr(e.Data);
        process.BeginErrorReadLine();
        return worker;
    }

    /// <summary>
    /// Runs one attempt. Waits for the answer until the request's timeout plus the kill grace, then kills the worker
    /// (outcome <c>timeout</c>); a worker that dies first yields <c>crashed</c>. <paramref name="ct"/> kills it at once.
    /// </summary>
    public async Task<WorkerAnswer> RunAsync(WorkerRequest request, CancellationToken ct)
    {
        Attempts++;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromMilliseconds(request.TimeoutMs) + _killGrace);
        try
        {
            await WorkerProtocol.WriteAsync(_process.StandardInput.BaseStream, request, deadline.Token).ConfigureAwait(false);
            var response = await WorkerProtocol.ReadAsync<WorkerResponse>(_process.StandardOutput.BaseStream, deadline.Token)
                .WaitAsync(deadline.Token).ConfigureAwait(false);
            if (response is null) return new WorkerAnswer(null, await CrashedAsync().ConfigureAwait(false));
            if (response.Exiting) Usable = false;
            return new WorkerAnswer(response, null);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            Kill();
            ct.ThrowIfCancellationRequested();
            return new WorkerAnswer(null, ExecutionOutcome.Failure(ErrorKinds.Timeout,
                $"The function did not finish within {request.TimeoutMs} ms (definition.timeout_ms); its worker was stopped."));
        }
        catch (Exception e) when (e is IOException or InvalidDataException or System.Text.Json.JsonException or ObjectDisposedException)
        {
            // A broken pipe or a malformed frame: the worker died mid-answer or misbehaved.
            Kill();
            return new WorkerAnswer(null, await CrashedAsync().ConfigureAwait(false));
        }
    }

    private async Task<ExecutionOutcome> CrashedAsync()
    {
        Usable = false;
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill();
        }
        var code = _process.HasExited ? _process.ExitCode.ToString(CultureInfo.InvariantCulture) : "unknown";
        var tail = StderrTail();
        var why = tail.Contains("Stack overflow", StringComparison.OrdinalIgnoreCase) ? "stack overflow"
            : tail.Contains("OutOfMemory", StringComparison.OrdinalIgnoreCase) ? "out of memory"
            : FirstLine(tail);
        return ExecutionOutcome.Failure(ErrorKinds.Crashed,
            $"The function's worker process ended during the attempt (exit code {code}{(why.Length > 0 ? ", " + why : "")}); it was replaced.");
    }

    private static string FirstLine(string text)
    {
        var line = text.Split('\n', 2)[0].Trim();
        return line.Length <= 200 ? line : line[..200];
    }

    private void AppendStderr(string? line)
    {
        if (line is null) return;
        lock (_stderr)
        {
            if (_stderr.Length < StderrTailChars) _stderr.AppendLine(line);
        }
    }

    /// <summary>Kills the process (and anything it started) without waiting.</summary>
    public void Kill()
    {
        Usable = false;
        _killed = true;
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            // Already gone.
        }
    }

    /// <summary>Closes stdin (the worker exits on its own) and kills it if it is still there shortly after.</summary>
    public void Dispose()
    {
        Usable = false;
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        try
        {
            _process.StandardInput.Close();
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            // Already closed or never started.
        }
        if (_process.WaitForExit(TimeSpan.FromMilliseconds(500))) ExitedOnItsOwn = !_killed;
        else Kill();
        _process.Dispose();
    }
}

/// <summary>The worker's response, or the outcome the server decided when the worker could not answer.</summary>
internal sealed record WorkerAnswer(WorkerResponse? Response, ExecutionOutcome? Outcome);
