using System.CommandLine;

namespace Metronome.Cli.Tests;

/// <summary>docs/cli.md names every command and every option of the command tree (serve's are documented elsewhere).</summary>
public sealed class CliDocsTests
{
    [Fact]
    public void Cli_md_names_every_command_and_option()
    {
        var root = MetronomeCli.Build(new CliConsole(TextWriter.Null, TextWriter.Null, TextReader.Null, _ => null, OutIsTerminal: false));
        var doc = File.ReadAllText(DocPath());
        var missing = new List<string>();

        foreach (var (path, command) in Walk(root, ""))
        {
            if (path.Length > 0 && !doc.Contains($"`{path}", StringComparison.Ordinal)) missing.Add($"command `{path}`");
            if (path == "serve") continue; // its options are the server's settings: configuration.md
            missing.AddRange(command.Options.Where(o => !doc.Contains(o.Name, StringComparison.Ordinal)).Select(o => $"option {o.Name} of `metronome {path}`"));
        }

        Assert.True(root.Subcommands.Count >= 6, "the command tree was not built");
        Assert.True(missing.Count == 0, "docs/cli.md does not mention: " + string.Join(", ", missing));
    }

    private static IEnumerable<(string Path, Command Command)> Walk(Command command, string path)
    {
        yield return (path, command);
        foreach (var sub in command.Subcommands)
            foreach (var item in Walk(sub, path.Length == 0 ? sub.Name : $"{path} {sub.Name}"))
                yield return item;
    }

    private static string DocPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "docs", "cli.md"))) return Path.Combine(dir.FullName, "docs", "cli.md");
        throw new InvalidOperationException("docs/cli.md not found above " + AppContext.BaseDirectory);
    }
}
