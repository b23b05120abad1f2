using System.Diagnostics;
using Metronome.Cli.Commands;
using Metronome.Testing.Processes;

namespace Metronome.Cli.Tests;

/// <summary>
/// <c>metronome serve</c> runs the server tool (<c>metronome-server</c>, package Metronome.Server), which the CLI package
/// does not carry: where it is looked for, what is said when it is missing, and that a SIGTERM to the CLI stops the server
/// gracefully.
/// </summary>
public sealed class ServeCommandTests
{
    private static readonly string Home = OperatingSystem.IsWindows() ? @"C:\home" : "/home/u";
    private static readonly string Tool = OperatingSystem.IsWindows() ? "metronome-server.exe" : "metronome-server";

    private static ServerLaunch? Find(Dictionary<string, string> env, params string[] files)
    {
        env.TryAdd("DOTNET_CLI_HOME", Home);
        env.TryAdd("DOTNET_HOST_PATH", "/sdk/dotnet");
        return ServerLocator.Find(k => env.GetValueOrDefault(k), "/opt/cli", f => files.Contains(f), out _);
    }

    [Fact]
    public void The_server_is_looked_for_by_variable_then_beside_the_cli_then_on_path_then_in_the_global_tools()
    {
        var everywhere = new[] { "/x/Metronome.Server.dll", Path.Combine("/opt/cli", Tool), Path.Combine("/bin2", Tool), Path.Combine(Home, ".dotnet", "tools", Tool) };
        var path = string.Join(Path.PathSeparator, "/bin1", "/bin2");

        var configured = Find(new() { ["METRONOME_SERVER"] = "/x/Metronome.Server.dll", ["PATH"] = path }, everywhere)!;
        Assert.Equal("/sdk/dotnet", configured.FileName);
        Assert.Equal(["/x/Metronome.Server.dll"], configured.LeadingArguments);
        Assert.Equal(Path.Combine("/opt/cli", Tool), Find(new() { ["PATH"] = path }, everywhere)!.FileName);
        Assert.Equal(Path.Combine("/bin2", Tool), Find(new() { ["PATH"] = path }, everywhere[2..])!.FileName);
        Assert.Equal(Path.Combine(Home, ".dotnet", "tools", Tool), Find(new() { ["PATH"] = path }, everywhere[3..])!.FileName);
        Assert.Null(Find(new() { ["PATH"] = path }));
    }

    [Fact]
    public void A_server_assembly_beside_the_cli_runs_on_the_dotnet_host_and_a_missing_configured_path_is_named()
    {
        var launch = Find(new(), Path.Combine("/opt/cli", "Metronome.Server.dll"));
        Assert.Equal("/sdk/dotnet", launch!.FileName);
        Assert.Equal([Path.Combine("/opt/cli", "Metronome.Server.dll")], launch.LeadingArguments);

        var missing = ServerLocator.Find(k => k == "METRONOME_SERVER" ? "/nowhere/metronome-server" : null, "/opt/cli", _ => false, out var problem);
        Assert.Null(missing);
        Assert.Equal("METRONOME_SERVER is set to '/nowhere/metronome-server', which does not exist", problem);
    }

    [Fact]
    public async Task Serve_without_the_server_installed_prints_the_install_command_and_exits_3()
    {
        var home = Directory.CreateTempSubdirectory("metronome-cli-home-").FullName;
        try
        {
            var info = CliProcess.Info(new Uri("http://127.0.0.1:9"), "unused-key-0123456789", ["serve"]);
            info.Environment.Remove("METRONOME_SERVER");
            info.Environment["PATH"] = Path.GetDirectoryName(Environment.ProcessPath)!; // dotnet itself, no metronome-server
            info.Environment["DOTNET_CLI_HOME"] = home;
            using var process = Process.Start(info)!;
            var stderr = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();

            Assert.Equal(ServeCommand.NotInstalled, process.ExitCode);
            Assert.Contains("the Metronome server is not installed", stderr);
            Assert.Contains("dotnet tool install --global Metronome.Server", stderr);
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    [Fact]
    public async Task A_sigterm_to_serve_stops_the_server_gracefully_and_serve_exits_with_its_code()
    {
        if (OperatingSystem.IsWindows()) return; // signals are POSIX
        await using var server = await ServerProcess.StartAsync(CliProcess.Dll, CliProcess.ServerEnvironment, "serve");

        using (var kill = Process.Start("kill", ["-TERM", server.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
        var exitCode = await server.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(0, exitCode);
        Assert.Matches(@"Engine \S+ stopped after \d+ ms", server.Output); // the server's graceful stop, not a kill
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => http.GetAsync(new Uri(server.BaseAddress, "/livez")));
    }
}
