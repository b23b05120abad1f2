using System.Reflection;

namespace Metronome.Core.Storage;

/// <summary>One versioned schema script, embedded from <c>Migrations/NNNN_name.sql</c>.</summary>
public sealed record SchemaMigration(int Version, string Name, string Sql);

/// <summary>Finds a store assembly's embedded migration scripts (<c>Migrations/NNNN_name.sql</c>), ordered by version.</summary>
public static class SchemaMigrations
{
    private const string Folder = ".Migrations.";

    public static IReadOnlyList<SchemaMigration> Load(Assembly assembly)
    {
        var list = new List<SchemaMigration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            int at = resource.LastIndexOf(Folder, StringComparison.Ordinal);
            if (at < 0 || !resource.EndsWith(".sql", StringComparison.Ordinal)) continue;
            var name = resource[(at + Folder.Length)..].TrimStart('_');
            var digits = new string(name.TakeWhile(char.IsAsciiDigit).ToArray());
            if (digits.Length == 0)
                throw new InvalidOperationException($"migration '{resource}' must be named NNNN_description.sql");
            list.Add(new SchemaMigration(int.Parse(digits, System.Globalization.CultureInfo.InvariantCulture), name, Read(assembly, resource)));
        }
        list.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (int i = 1; i < list.Count; i++)
            if (list[i].Version == list[i - 1].Version)
                throw new InvalidOperationException($"migrations '{list[i - 1].Name}' and '{list[i].Name}' share version {list[i].Version}");
        return list;
    }

    private static string Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
