using System.Diagnostics;
using Npgsql;

namespace Metronome.Load;

/// <summary>
/// The PostgreSQL the durable scenario runs on: <c>METRONOME_BENCH_PG</c> (a connection string) when set, else a
/// throwaway server started by <c>bench/pg.sh</c> and stopped at the end of the run. Each system gets its own database.
/// </summary>
internal sealed class Postgres : IAsyncDisposable
{
    private readonly string _admin;
    private readonly bool _started;

    private Postgres(string admin, bool started)
    {
        _admin = admin;
        _started = started;
    }

    /// <summary>Null (with the reason) when no PostgreSQL can be had on this machine.</summary>
    public static async Task<(Postgres? Server, string? Why)> StartAsync()
    {
        if (Environment.GetEnvironmentVariable("METRONOME_BENCH_PG") is { Length: > 0 } given) return (new Postgres(given, false), null);
        var script = Path.Combine(AppContext.BaseDirectory, "pg.sh");
        if (!File.Exists(script)) return (null, "bench/pg.sh not found");
        var (code, output) = await RunAsync(script, "start");
        var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.StartsWith("Host=", StringComparison.Ordinal));
        return code == 0 && line is not null ? (new Postgres(line.Trim(), true), null) : (null, $"pg.sh start failed ({code}): {output.Trim()}");
    }

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..30];
        await using (var c = new NpgsqlConnection(_admin))
        {
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", c);
            await cmd.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(_admin) { Database = name }.ConnectionString;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_started) await RunAsync(Path.Combine(AppContext.BaseDirectory, "pg.sh"), "stop");
    }

    private static async Task<(int Code, string Output)> RunAsync(string script, string verb)
    {
        var psi = new ProcessStartInfo("bash", [script, verb]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout + await stderr);
    }
}
