namespace Metronome.Cli;

/// <summary>What a command may touch of the outside world: its streams and environment (tests pass their own).</summary>
internal sealed record CliConsole(TextWriter Out, TextWriter Error, TextReader In, Func<string, string?> Environment, bool OutIsTerminal)
{
    public static CliConsole System() =>
        new(Console.Out, Console.Error, Console.In, global::System.Environment.GetEnvironmentVariable, !Console.IsOutputRedirected);
}
