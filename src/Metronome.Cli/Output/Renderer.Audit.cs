using System.Text.Json;
using Metronome.Contracts;
using Spectre.Console;

namespace Metronome.Cli;

/// <summary>The audit log, product keys and secret names.</summary>
internal sealed partial class Renderer
{
    public void Audit(IReadOnlyList<AuditLogEntry> entries)
    {
        if (json) { WriteJson(entries); return; }
        var table = Table("AT", "ACTOR", "ACTION", "TARGET", "CHANGES");
        foreach (var e in entries) table.AddRow(Cells(Time(e.At), e.Actor, e.Action, e.Target, Changes(e)));
        Write(table, entries.Count, "audit entrie");
    }

    public void Keys(IReadOnlyList<KeyInfo> keys)
    {
        if (json) { WriteJson(keys); return; }
        var table = Table("ID", "CREATED", "LAST USED");
        foreach (var k in keys) table.AddRow(Cells(k.Id, Time(k.CreatedAt), Time(k.LastUsedAt)));
        Write(table, keys.Count, "key");
    }

    public void Secrets(IReadOnlyList<SecretInfo> secrets)
    {
        if (json) { WriteJson(secrets); return; }
        var table = Table("NAME", "UPDATED");
        foreach (var s in secrets) table.AddRow(Cells(s.Name, Time(s.UpdatedAt)));
        Write(table, secrets.Count, "secret");
    }

    /// <summary><c>field: old → new</c> per changed field, and the reason when there is one.</summary>
    private static string Changes(AuditLogEntry e)
    {
        var parts = e.Changes.Select(c => $"{c.Key}: {Value(c.Value.Old)} → {Value(c.Value.New)}").ToList();
        if (e.Reason is { Length: > 0 } reason) parts.Add($"({reason})");
        return string.Join("; ", parts);
    }

    private static string Value(JsonElement? value) => value is { } v ? v.GetRawText() : "-";
}
