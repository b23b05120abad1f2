using System.Runtime.InteropServices;
using Metronome.FunctionHost;

namespace Metronome.Events.Function;

/// <summary>
/// Where the worker is: <c>Metronome.FunctionHost.dll</c> with its runtimeconfig, and the <c>dotnet</c> host to start
/// it with. Metronome.Events references the worker project, so the files sit next to the server and next to any
/// embedding app.
/// </summary>
internal sealed record FunctionHostLocation(string DotnetPath, string AssemblyPath, string RuntimeConfigPath)
{
    private const string AssemblyName = "Metronome.FunctionHost.dll";

    public static FunctionHostLocation Find(FunctionPoolOptions options)
    {
        var assembly = options.HostAssemblyPath ?? Candidates().FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException($"Metronome: {AssemblyName} was not found next to the application ({AppContext.BaseDirectory}); " +
                                                   "reference Metronome.Events so it is copied there, or set FunctionPoolOptions.HostAssemblyPath.");
        var runtimeConfig = Path.ChangeExtension(assembly, null) + ".runtimeconfig.json";
        if (!File.Exists(runtimeConfig))
            throw new InvalidOperationException($"Metronome: {runtimeConfig} is missing; the function worker cannot start without it.");
        return new FunctionHostLocation(Dotnet(), assembly, runtimeConfig);
    }

    private static IEnumerable<string> Candidates()
    {
        yield return Path.Combine(AppContext.BaseDirectory, AssemblyName);
        if (Path.GetDirectoryName(typeof(WorkerProtocol).Assembly.Location) is { Length: > 0 } loaded) yield return Path.Combine(loaded, AssemblyName);
    }

    /// <summary>The muxer running this process, else <c>DOTNET_HOST_PATH</c>, else the one owning this runtime, else PATH.</summary>
    private static string Dotnet()
    {
        var name = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        if (Environment.ProcessPath is { } self && string.Equals(Path.GetFileName(self), name, StringComparison.OrdinalIgnoreCase)) return self;
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath)) return hostPath;
        // <root>/shared/Microsoft.NETCore.App/<version>/ → <root>/dotnet
        var runtimeDir = RuntimeEnvironment.GetRuntimeDirectory().TrimEnd(Path.DirectorySeparatorChar);
        var root = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(runtimeDir)));
        if (root is not null && File.Exists(Path.Combine(root, name))) return Path.Combine(root, name);
        return name;
    }
}
