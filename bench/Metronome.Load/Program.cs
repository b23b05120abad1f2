using Metronome.Load;

// Load scenarios of Metronome and its peers (Quartz.NET, Hangfire), measured in one run on one machine. Usage:
//   dotnet <artifacts>/bin/Metronome.Load/release/Metronome.Load.dll <saturation|precision|durable|scale|api|all> [--key=value ...]
// Common keys: --seconds (measured, default 8), --warmup (default 3), --jobs, --interval, --systems=metronome,quartz,hangfire,
// --out=<dir> (default bench/results). Writes <scenario>.md and <scenario>.json there and prints the markdown.
var scenario = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
var workload = Workload.Parse(args);
var names = scenario == "all" ? Scenarios.Names : [scenario];
if (names.Any(n => !Scenarios.Names.Contains(n)))
{
    Console.Error.WriteLine($"unknown scenario '{scenario}': use {string.Join(", ", Scenarios.Names)} or all");
    return 2;
}
var report = new RunReport();
foreach (var name in names)
{
    Console.Error.WriteLine($"scenario {name}");
    await Scenarios.RunAsync(name, workload, report);
}
var output = workload.String("out", DefaultOutput());
var path = report.Write(output, scenario);
Console.WriteLine(report.ToMarkdown());
Console.Error.WriteLine($"written {path} and its .json");
return report.Rows.Any(r => r.Status == ResultRow.Failed) ? 1 : 0;

static string DefaultOutput()
{
    for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "Metronome.slnx"))) return Path.Combine(dir.FullName, "bench", "results");
    return Path.Combine(Environment.CurrentDirectory, "results");
}
