using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Metronome.Testing.Processes;

/// <summary>
/// A Metronome server as a separate OS process on a free loopback port, with its own temporary data directory.
/// Started from an assembly built next to the test assembly (same artifacts layout and configuration).
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    public const string AdminKey = "sdk-tests-admin-key-0123456789abcdef";

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServerProcess(Process process, Uri baseAddress, string dataDirectory)
    {
        _process = process;
        BaseAddress = baseAddress;
        DataDirectory = dataDirectory;
    }

    public Uri BaseAddress { get; }
    public string DataDirectory { get; }
    /// <summary>The process started (<c>dotnet</c> running the server, or <c>metronome serve</c>).</summary>
    public int Pid => _process.Id;
    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>Starts <c>dotnet &lt;dll&gt; [args]</c> (the server, or <c>metronome serve</c>) and waits for /healthz.</summary>
    public static Task<ServerProcess> StartAsync(string dll, params string[] args) => StartAsync(dll, null, args);

    /// <summary>As above, with environment variables of its own (e.g. where <c>metronome serve</c> finds the server).</summary>
    public static async Task<ServerProcess> StartAsync(string dll, IDictionary<string, string>? env, params string[] args)
    {
        var dataDirectory = Directory.CreateTempSubdirectory("metronome-sdk-tests-").FullName;
        var port = FreePort();
        var baseAddress = new Uri($"http://127.0.0.1:{port}");
        var info = new ProcessStartInfo("dotnet", [dll, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dataDirectory,
        };
        info.Environment["METRONOME_DATA"] = dataDirectory;
        info.Environment["METRONOME_URLS"] = baseAddress.ToString().TrimEnd('/');
        info.Environment["METRONOME_ADMIN_KEY"] = AdminKey;
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) info.Environment[k] = v;
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start dotnet {dll}");
        var server = new ServerProcess(process, baseAddress, dataDirectory);
        process.OutputDataReceived += (_, e) => { lock (server._output) server._output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (server._output) server._output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await server.WaitHealthyAsync(TimeSpan.FromSeconds(60));
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    /// <summary>An assembly of a project built beside this test assembly: <c>bin/&lt;project&gt;/&lt;config&gt;/&lt;assembly&gt;.dll</c>.</summary>
    public static string BuiltAssembly(string project, string assembly)
    {
        var testDir = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        var config = Path.GetFileName(testDir);
        var binRoot = Path.GetDirectoryName(Path.GetDirectoryName(testDir))!;
        var dll = Path.Combine(binRoot, project, config, assembly + ".dll");
        // Referenced executables are also copied next to the test assembly, with their runtimeconfig.
        return File.Exists(dll) ? dll : Path.Combine(AppContext.BaseDirectory, assembly + ".dll");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task WaitHealthyAsync(TimeSpan patience)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + patience;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"server exited with {_process.ExitCode}:\n{Output}");
            try
            {
                if ((await http.GetAsync("/healthz")).IsSuccessStatusCode) return;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException($"server not healthy after {patience}:\n{Output}");
    }

    /// <summary>Waits for the process to exit by itself; returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan patience)
    {
        using var cts = new CancellationTokenSource(patience);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try { Directory.Delete(DataDirectory, recursive: true); }
        catch (IOException) { }
    }
}
