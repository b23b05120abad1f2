using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using Metronome.Contracts;

namespace Metronome.Security.Tests.Functions;

/// <summary>
/// The function attacks run one class at a time: each class loads its server's two workers fully, and two such
/// servers side by side on a small machine would only measure each other.
/// </summary>
[CollectionDefinition(Name)]
public sealed class FunctionAttackCollection
{
    public const string Name = "function attacks";
}

/// <summary>A server with the function pool's settings spelled out, so the tests do not depend on the machine.</summary>
public class FunctionServer : HostileServer
{
    public const int Workers = 2;

    protected override IDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["METRONOME_FUNCTION_WORKERS"] = Workers.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Resident memory of the server process (VmRSS), MB; its workers are separate processes.</summary>
    public long ServerRssMb()
    {
        var line = File.ReadLines($"/proc/{Process.Pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
    }

    /// <summary>Worker processes (children of the server running Metronome.FunctionHost) alive now.</summary>
    public IReadOnlyList<int> WorkerPids() =>
        Directory.GetDirectories("/proc").Select(d => Path.GetFileName(d))
            .Where(n => int.TryParse(n, out _))
            .Where(n =>
            {
                try
                {
                    var stat = File.ReadAllText($"/proc/{n}/stat");
                    var ppid = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1];
                    return ppid == Process.Pid.ToString(CultureInfo.InvariantCulture)
                           && File.ReadAllText($"/proc/{n}/cmdline").Contains("Metronome.FunctionHost", StringComparison.Ordinal);
                }
                catch (IOException) { return false; }
            })
            .Select(int.Parse).ToList();
}

/// <summary>What a tenant does with functions, through the REST API with its product key.</summary>
internal static class FunctionAttacks
{
    public static Task CreateFunctionAsync(this Tenant tenant, string tag, string code, int? timeoutMs = null, int? memoryLimitMb = null)
    {
        var definition = new Dictionary<string, object?> { ["language"] = "javascript", ["code"] = code };
        if (timeoutMs is not null) definition["timeout_ms"] = timeoutMs;
        if (memoryLimitMb is not null) definition["memory_limit_mb"] = memoryLimitMb;
        return tenant.CreateEventAsync("function", tag, definition);
    }

    /// <summary>A function job starting now; <paramref name="overlap"/> <c>allow</c> lets slots run side by side.</summary>
    public static async Task CreateFunctionJobAsync(this Tenant tenant, string tag, string eventTag, long executions, long intervals,
        string overlap = "skip", long? timeoutMs = null)
    {
        var job = new Dictionary<string, object?>
        {
            ["name"] = tag, ["tag"] = tag, ["event_type"] = "function", ["event_tag"] = eventTag, ["executions"] = executions,
            ["intervals"] = intervals, ["start_at"] = "now", ["overlap"] = overlap,
        };
        if (timeoutMs is not null) job["timeout_ms"] = timeoutMs;
        await Tenant.EnsureAsync(await tenant.Http.PostAsJsonAsync(Routes.Jobs(tenant.Product), job));
    }

    /// <summary>Waits until the job has <paramref name="count"/> runs that executed and finished (skipped ones aside).</summary>
    public static async Task<IReadOnlyList<JobRun>> WaitForExecutedRunsAsync(this Tenant tenant, string job, int count, TimeSpan? patience = null)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var runs = (await tenant.RunsAsync(job)).Where(r => r.Status is not (RunStatuses.Running or RunStatuses.Skipped)).ToList();
            if (runs.Count >= count) return runs;
            if (watch.Elapsed > (patience ?? TimeSpan.FromSeconds(45)))
                throw new TimeoutException($"job {job} of {tenant.Product} has {runs.Count} executed runs, expected {count}");
            await Task.Delay(100);
        }
    }

    /// <summary>A run that timed out: kind <c>timeout</c> and status <c>timed_out</c> (the function's own <c>timeout_ms</c> is recorded as the attempt timeout is).</summary>
    public static bool TimedOut(JobRun run) =>
        run.Error?.Kind == "timeout" && run.Status == RunStatuses.TimedOut;

    public static string Describe(IEnumerable<JobRun> runs) =>
        string.Join("; ", runs.Select(r => $"{r.Status}/{r.Error?.Kind}: {r.Error?.Message} ({r.DurationMs} ms)"));
}
