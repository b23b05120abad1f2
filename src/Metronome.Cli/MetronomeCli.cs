using System.CommandLine;
using System.CommandLine.Invocation;
using Metronome.Cli.Commands;
using Metronome.Client;

namespace Metronome.Cli;

/// <summary>The <c>metronome</c> command tree. Global options reach every subcommand.</summary>
internal static class MetronomeCli
{
    public const string DefaultUrl = "http://127.0.0.1:5080";

    public static async Task<int> RunAsync(string[] args, CliConsole console, CancellationToken ct = default)
    {
        var root = Build(console);
        // No response files: "@file" arguments would swallow cron macros such as --cron @daily.
        var parsed = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parsed.Errors.Count > 0 && parsed.Action is ParseErrorAction)
        {
            // One line naming what was wrong (the parser's default prints the whole help page after it).
            var command = string.Join(' ', parsed.CommandResult.Command is RootCommand ? ["metronome"] : ParentNames(parsed.CommandResult.Command));
            await console.Error.WriteLineAsync($"metronome: {string.Join("; ", parsed.Errors.Select(e => e.Message.TrimEnd('.')))} (see '{command} --help')");
            return CliFailure.UsageError;
        }
        var invocation = new InvocationConfiguration { Output = console.Out, Error = console.Error };
        // serve runs the server as a child process and passes signals on to it: no cancellation, no forced end after 2 s.
        if (parsed.CommandResult.Command.Name == "serve") invocation.ProcessTerminationTimeout = null;
        return await parsed.InvokeAsync(invocation, ct);
    }

    private static IEnumerable<string> ParentNames(Command command)
    {
        var names = new Stack<string>();
        for (var symbol = (System.CommandLine.Symbol?)command; symbol is not null; symbol = symbol.Parents.FirstOrDefault())
            names.Push(symbol is RootCommand ? "metronome" : symbol.Name);
        return names;
    }

    public static RootCommand Build(CliConsole console)
    {
        var globals = new GlobalOptions();
        var root = new RootCommand("Metronome: jobs that fire at a fixed interval, a set number of times or forever.");
        root.Options.Add(globals.Url);
        root.Options.Add(globals.ApiKey);
        root.Options.Add(globals.Json);
        root.Subcommands.Add(ServeCommand.Build(console));
        root.Subcommands.Add(JobsCommand.Build(globals, console));
        root.Subcommands.Add(EventsCommand.Build(globals, console));
        root.Subcommands.Add(ProductsCommand.Build(globals, console));
        root.Subcommands.Add(KeysCommand.Build(globals, console));
        root.Subcommands.Add(SecretsCommand.Build(globals, console));
        root.Subcommands.Add(Apply.ApplyCommand.Build(globals, console));
        root.Subcommands.Add(AuditCommand.Build(globals, console));
        return root;
    }
}

/// <summary>Options every API command understands (also from the environment).</summary>
internal sealed class GlobalOptions
{
    public Option<string?> Url { get; } = new("--url")
    {
        Description = $"Server address (else METRONOME_URL, else {MetronomeCli.DefaultUrl})", Recursive = true,
    };

    public Option<string?> ApiKey { get; } = new("--api-key")
    {
        Description = "Admin or product key (else METRONOME_API_KEY)", Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print JSON (wire format) instead of tables, for scripts", Recursive = true,
    };

    /// <summary>Product option shared by product-scoped commands (else METRONOME_PRODUCT).</summary>
    public static Option<string?> Product() => new("--product", "-p") { Description = "Product tag (else METRONOME_PRODUCT)" };
}

/// <summary>One invocation of an API command: parsed values, the console, and a client made from them.</summary>
internal sealed class CommandRun(ParseResult result, GlobalOptions globals, CliConsole console) : IDisposable
{
    private MetronomeClient? _client;

    public ParseResult Result => result;
    public CliConsole Console => console;
    public bool Json => result.GetValue(globals.Json);
    public Renderer Render => new(console, Json);

    public MetronomeClient Client => _client ??= CreateClient();

    public string Product(Option<string?> option) =>
        result.GetValue(option) ?? console.Environment("METRONOME_PRODUCT")
        ?? throw new CliUsageException("--product is required (or set METRONOME_PRODUCT)");

    private MetronomeClient CreateClient()
    {
        var url = result.GetValue(globals.Url) ?? console.Environment("METRONOME_URL") ?? MetronomeCli.DefaultUrl;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var address) || (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps))
            throw new CliUsageException($"--url must be an http(s) address, not '{url}'");
        var key = result.GetValue(globals.ApiKey) ?? console.Environment("METRONOME_API_KEY");
        if (string.IsNullOrWhiteSpace(key)) throw new CliUsageException("no API key: pass --api-key or set METRONOME_API_KEY");
        return new MetronomeClient(new MetronomeClientOptions { BaseAddress = address, ApiKey = key.Trim(), MaxRetryAttempts = 1 });
    }

    public void Dispose() => _client?.Dispose();

    /// <summary>Gives <paramref name="command"/> an action with the CLI's one-line error reporting and exit codes.</summary>
    public static void Bind(Command command, GlobalOptions globals, CliConsole console, Func<CommandRun, CancellationToken, Task> action)
    {
        command.SetAction(async (result, ct) =>
        {
            using var run = new CommandRun(result, globals, console);
            try
            {
                await action(run, ct);
                return 0;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return 130;
            }
            catch (Exception e)
            {
                var (line, code) = CliFailure.Describe(e);
                await console.Error.WriteLineAsync($"metronome: {line}");
                return code;
            }
        });
    }
}
