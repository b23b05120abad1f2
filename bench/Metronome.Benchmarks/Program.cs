using BenchmarkDotNet.Running;

// Micro benchmarks of Metronome's hot paths, with allocations (MemoryDiagnoser on every class). Usage:
//   dotnet <artifacts>/bin/Metronome.Benchmarks/release/Metronome.Benchmarks.dll --filter '*'          (everything, a few minutes)
//   dotnet <artifacts>/bin/Metronome.Benchmarks/release/Metronome.Benchmarks.dll --filter '*DueQueue*' --job short
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

public partial class Program;
