using Metronome.Cli;

// Composition only: the command tree and every command live in MetronomeCli and Commands/, which tests drive directly.
return await MetronomeCli.RunAsync(args, CliConsole.System());
