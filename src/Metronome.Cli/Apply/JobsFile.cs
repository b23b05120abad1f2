using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Metronome.Contracts;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Metronome.Cli.Apply;

/// <summary>A jobs file is wrong (YAML syntax, shape or a field's type); the message starts with <c>file:line:column:</c>.</summary>
internal sealed class JobsFileException(string message) : Exception(message);

/// <summary>
/// Reads a jobs file for <c>metronome apply</c>: YAML with a top-level <c>jobs:</c> list whose items have the REST body's
/// snake_case fields. YAML is turned into JSON faithfully (YAML 1.2 core schema): unquoted numbers, booleans and null
/// stay JSON numbers, booleans and null; quoted or block scalars are strings; maps are objects, lists arrays. The server
/// validates the values; only what cannot even be sent (an unknown field, a list where a number goes) is refused here,
/// with the line and column of the offending node.
/// </summary>
internal static class JobsFile
{
    public static IReadOnlyList<ProductJob> Parse(string yaml, string fileName)
    {
        var root = Load(yaml, fileName);
        if (root is null) throw Error(fileName, null, "the file is empty; it must hold a top-level 'jobs:' list");
        if (root is not YamlMappingNode top) throw Error(fileName, root.Start, "the top level must be a map with a 'jobs:' list");
        YamlNode? jobsNode = null;
        foreach (var (key, value) in top.Children)
        {
            if (key is YamlScalarNode { Value: "jobs" }) jobsNode = value;
            else throw Error(fileName, key.Start, $"unknown top-level key '{(key as YamlScalarNode)?.Value}' (only 'jobs' is allowed)");
        }
        if (jobsNode is null) throw Error(fileName, top.Start, "the top-level 'jobs:' list is missing");
        if (jobsNode is YamlScalarNode { Style: ScalarStyle.Plain } empty && IsNull(empty.Value)) return [];
        if (jobsNode is not YamlSequenceNode items) throw Error(fileName, jobsNode.Start, "'jobs' must be a list of jobs");

        var jobs = new List<ProductJob>(items.Children.Count);
        for (int i = 0; i < items.Children.Count; i++)
        {
            var item = items.Children[i];
            if (item is not YamlMappingNode map) throw Error(fileName, item.Start, $"jobs[{i}] must be a map of job fields");
            jobs.Add(ToJob(map, i, fileName));
        }
        return jobs;
    }

    private static YamlNode? Load(string yaml, string fileName)
    {
        // The parser alone first: it reports syntax errors with their position. On some (an unclosed flow list at the end)
        // YamlDotNet fails with a bare InvalidOperationException instead; the last event it read is then where it broke off.
        var parser = new Parser(new StringReader(yaml));
        try
        {
            while (parser.MoveNext()) { }
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            if (stream.Documents.Count > 1) throw Error(fileName, stream.Documents[1].RootNode.Start, "the file holds more than one YAML document");
            return stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode;
        }
        catch (YamlException e)
        {
            // YamlDotNet's message repeats the position as "(Line: 3, Col: 5, Idx: ..) - (...): "; keep the words only.
            var message = e.Message;
            var cut = message.LastIndexOf("): ", StringComparison.Ordinal);
            throw Error(fileName, e.Start, "invalid YAML: " + (cut >= 0 ? message[(cut + 3)..] : message));
        }
        catch (InvalidOperationException e)
        {
            throw Error(fileName, parser.Current?.Start, $"invalid YAML after this point ({e.Message})");
        }
    }

    private static ProductJob ToJob(YamlMappingNode map, int index, string fileName)
    {
        var json = ToJson(map, fileName);
        try
        {
            return json.Deserialize<ProductJob>(MetronomeJson.Options) ?? throw Error(fileName, map.Start, $"jobs[{index}] is empty");
        }
        catch (JsonException e)
        {
            // "$.retries.max_attempts" → the node of "retries" (the top-level key is close enough to find the line).
            var field = e.Path is { Length: > 2 } path ? path[2..] : "";
            var key = field.Split('.', '[')[0];
            var at = map.Children.FirstOrDefault(kv => kv.Key is YamlScalarNode s && s.Value == key);
            var what = e.Message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal)
                ? $"unknown field '{key}'"
                : $"{field} has the wrong type ({Kind(at.Value)} given)";
            throw Error(fileName, at.Key?.Start ?? map.Start, $"jobs[{index}]: {what}");
        }
    }

    private static JsonNode? ToJson(YamlNode node, string fileName) => node switch
    {
        YamlMappingNode map => ToObject(map, fileName),
        YamlSequenceNode seq => new JsonArray([.. seq.Children.Select(c => ToJson(c, fileName))]),
        YamlScalarNode scalar => ToValue(scalar, fileName),
        _ => throw Error(fileName, node.Start, $"unsupported YAML node {node.NodeType}"),
    };

    private static JsonObject ToObject(YamlMappingNode map, string fileName)
    {
        var obj = new JsonObject();
        foreach (var (key, value) in map.Children)
        {
            if (key is not YamlScalarNode { Value: { } name }) throw Error(fileName, key.Start, "a map key must be a plain string");
            if (obj.ContainsKey(name)) throw Error(fileName, key.Start, $"duplicate key '{name}'");
            obj[name] = ToJson(value, fileName);
        }
        return obj;
    }

    /// <summary>YAML 1.2 core schema: only plain scalars are resolved to null, booleans and numbers; a <c>!!str</c> tag keeps a string.</summary>
    private static JsonNode? ToValue(YamlScalarNode scalar, string fileName)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style != ScalarStyle.Plain || !scalar.Tag.IsEmpty) return JsonValue.Create(text);
        if (IsNull(text)) return null;
        if (text is "true" or "True" or "TRUE") return JsonValue.Create(true);
        if (text is "false" or "False" or "FALSE") return JsonValue.Create(false);
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer)) return JsonValue.Create(integer);
        if (text.StartsWith("0x", StringComparison.Ordinal) && long.TryParse(text[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex))
            return JsonValue.Create(hex);
        if (text.StartsWith("0o", StringComparison.Ordinal) && TryOctal(text[2..], out var octal)) return JsonValue.Create(octal);
        if (LooksNumeric(text) && decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)) return JsonValue.Create(number);
        if (text is ".inf" or "-.inf" or "+.inf" or ".nan" or ".Inf" or ".NaN" or ".INF" or ".NAN")
            throw Error(fileName, scalar.Start, $"'{text}' has no JSON form; quote it to send a string");
        return JsonValue.Create(text);
    }

    private static bool IsNull(string? text) => text is null or "" or "~" or "null" or "Null" or "NULL";

    // The core schema's float: [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
    private static bool LooksNumeric(string text) =>
        text.Length > 0 && text.All(c => char.IsAsciiDigit(c) || c is '.' or 'e' or 'E' or '+' or '-') && text.Any(char.IsAsciiDigit);

    private static bool TryOctal(string digits, out long value)
    {
        value = 0;
        if (digits.Length == 0 || digits.Length > 21 || digits.Any(c => c is < '0' or > '7')) return false;
        foreach (var c in digits) value = value * 8 + (c - '0');
        return value >= 0;
    }

    private static string Kind(YamlNode? node) => node switch
    {
        YamlMappingNode => "a map",
        YamlSequenceNode => "a list",
        YamlScalarNode { Style: not ScalarStyle.Plain } => "a string",
        YamlScalarNode s => s.Value is { } v && long.TryParse(v, CultureInfo.InvariantCulture, out _) ? "a number" : "a plain value",
        _ => "a value",
    };

    private static JobsFileException Error(string fileName, Mark? mark, string message) =>
        new(mark is { } at ? $"{fileName}:{at.Line}:{at.Column}: {message}" : $"{fileName}: {message}");
}
