using System.CommandLine;
using Metronome.Contracts;

namespace Metronome.Cli.Commands;

/// <summary><c>metronome audit --product P [--limit N]</c>: the product's latest audit entries, newest first.</summary>
internal static class AuditCommand
{
    public static Command Build(GlobalOptions globals, CliConsole console)
    {
        var audit = new Command("audit", "Show the product's audit log, newest first: who changed what, with the fields that changed");
        var product = GlobalOptions.Product();
        var limit = new Option<int>("--limit") { Description = "How many entries to show, newest first (1-500)", DefaultValueFactory = _ => 50 };
        audit.Options.Add(product);
        audit.Options.Add(limit);
        CommandRun.Bind(audit, globals, console, async (run, ct) =>
        {
            Page<AuditLogEntry> page = await run.Client.Product(run.Product(product)).AuditAsync(run.Result.GetValue(limit), null, ct);
            run.Render.Audit(page.Items);
        });
        return audit;
    }
}
