using System.Globalization;
using System.Text;

namespace Metronome.Security.Tests.Fuzz;

/// <summary>One request of the fuzz: everything needed to send it again (the index reproduces it from the seed).</summary>
public sealed record FuzzRequest(int Index, string Method, string Path, string? Body, string? ContentType)
{
    public override string ToString() =>
        $"#{Index} {Method} {Path} [{ContentType ?? "no content-type"}] {(Body is null ? "" : Body.Length > 300 ? Body[..300] + $"… ({Body.Length} chars)" : Body)}";
}

/// <summary>
/// Generates hostile requests from a seed: valid bodies of every product-key endpoint, then mutated (nesting far past
/// the limit, lone surrogates and other odd unicode, overlong and huge numbers, CR/LF and NUL in every string, wrong
/// types, random and case-shifted field names, truncated or trailing text), with odd tags in paths and odd query values.
/// The same seed gives the same requests in the same order (the order they are answered in depends on concurrency).
/// </summary>
public sealed class FuzzRequests(int seed, string product)
{
    private readonly Random _random = new(seed);
    private int _index;

    private static readonly string[] Fields =
        ["name", "tag", "event_type", "event_tag", "executions", "intervals", "start_at", "end_at", "input", "overlap", "misfire",
         "retries", "timeout_ms", "type", "definition", "value", "items", "description", "until", "max_attempts", "backoff_ms"];

    private static readonly string[] OddStrings =
    [
        "", " ", "\\u0000", "a\\u0000b", "\\r\\n", "x\\r\\nX-Injected: 1", "\\ud800", "\\udfff", "a\\ud800b", "\\udc00\\ud800",
        "\\ud83d\\ude00", "\\ufeff", "\\u202e", "\\u0085", "\\u2028", "ACTION ", "action\\t", "ACTİON", "..", "%2e%2e", "../../etc/passwd",
        "{{secrets.TOKEN}}", "{{input.a.b.c}}", "{{", "<script>alert(1)</script>", "' OR 1=1 --", "\\\\", "\\\"", "now", "9999-12-31T23:59:59Z",
        "0001-01-01T00:00:00Z", "2026-13-45T99:99:99Z", "-1", "1e999", "null", "true", "ｔａｇ", "Ⅻ", "\\u00e9", "e\\u0301",
    ];

    private static readonly string[] OddNumbers =
    [
        "0", "-0", "1", "-1", "100", "60000", "2147483647", "2147483648", "-2147483649", "9223372036854775807", "9223372036854775808",
        "-9223372036854775809", "123456789012345678901234567890123456789", "1e3", "1E400", "-1e-400", "1.5", "0.0000001", "1000000001",
        "31622400001", "00", "01", "+1", ".5", "5.", "0x10", "NaN", "Infinity", "-", "1e", new string('9', 5000),
    ];

    private static readonly string[] OddTags =
        ["j0", "j1", "missing", "UPPER", "a%20b", "%2e%2e", "%2E", "a%00b", "a%0d%0ab", "%ed%a0%80", "%c0%ae%c0%ae", "x:y", "jobs", "bulk",
         new string('a', 101), "a%2fb", "%5c..", "-a", "é", "%25", "j0%3Fx=1"];

    public FuzzRequest Next()
    {
        var index = _index++;
        var p = $"/api/products/{product}";
        var tag = Pick(OddTags, 0.35) ?? Pick(["j0", "j1", "j2"])!;
        return _random.Next(19) switch
        {
            16 or 17 => Json(index, "POST", $"{p}/jobs", HostileButValidJob()),
            18 => Json(index, "POST", $"{p}/events", HostileButValidEvent()),
            0 or 1 or 2 => Json(index, "POST", $"{p}/jobs", Job()),
            3 => Json(index, "POST", $"{p}/jobs:bulk", Bulk()),
            4 or 5 => Json(index, "PATCH", $"{p}/jobs/{tag}", Mutate(Obj(("name", Str()), ("intervals", Num()), ("input", Value(3)), ("executions", Num())))),
            6 or 7 => Json(index, "POST", $"{p}/events", Event()),
            8 => Json(index, "PATCH", $"{p}/events/{Pick(["action", "function", "ACTION", "teleport", "%2e%2e"])}/{Pick(["a", "f", "%2e"])}",
                Mutate(Obj(("name", Str()), ("definition", Definition())))),
            9 => Json(index, "PUT", $"{p}/secrets/{Pick(["TOKEN", "A_B", "..", "a-b", "%00", new string('S', 65)])}", Mutate(Obj(("value", Str())))),
            10 => Json(index, "POST", $"{p}/jobs/{tag}/{Pick(["pause", "resume", "trigger"])}", _random.Next(3) == 0 ? Mutate(Obj(("until", Str()))) : null),
            11 => new FuzzRequest(index, "GET", $"{p}/jobs/{tag}/runs?{Query()}", null, null),
            12 => new FuzzRequest(index, "GET", $"{p}/jobs?{Query()}", null, null),
            13 => new FuzzRequest(index, "GET", $"{p}/runs/{Pick(["0123456789abcdef0123456789abcdef", "%2e%2e", "x", new string('f', 64), "ABCDEF0123456789ABCDEF0123456789"])}", null, null),
            14 => new FuzzRequest(index, _random.Next(4) == 0 ? "DELETE" : "GET", $"{p}/jobs/{tag}", null, null),
            _ => Json(index, Pick(["PATCH", "POST", "PUT"])!, Pick([p, $"{p}/keys", $"{p}/jobs/{tag}", "/api/products"])!, Mutate(Value(4))),
        };
    }

    private FuzzRequest Json(int index, string method, string path, string? body)
    {
        string? type = _random.Next(20) switch
        {
            0 => null,
            1 => "text/plain",
            2 => "application/merge-patch+json",
            3 => "application/json; charset=utf-16",
            4 => "APPLICATION/JSON; charset=UTF-8",
            _ => "application/json",
        };
        return new FuzzRequest(index, method, path, body, body is null ? null : type);
    }

    private string Job() => Mutate(Obj(
        ("name", Str("fuzz job")), ("tag", Str($"f{_random.Next(1000)}")), ("event_type", Str("action")), ("event_tag", Str("a")),
        ("executions", Num("1")), ("intervals", Num("60000")), ("start_at", Str("2099-01-01T00:00:00Z")), ("input", Value(3)),
        ("overlap", Str("skip")), ("misfire", Str("skip")), ("retries", Obj(("max_attempts", Num("1")), ("backoff_ms", Num("10")))),
        ("timeout_ms", Num("1000"))));

    /// <summary>A job that should be created: well-formed, but with hostile content where content is free (input, name).</summary>
    private string HostileButValidJob() =>
        $$"""{"name":"fuzz {{_random.Next(100_000)}}","tag":"v{{_random.Next(2_000)}}","event_type":"{{Pick(["action", "ACTION", "Action"])}}","event_tag":"a","executions":1,"intervals":3600000,"input":{{Value(5)}}}""";

    private string HostileButValidEvent() =>
        $$"""{"type":"action","tag":"w{{_random.Next(2_000)}}","name":"fuzz","definition":{"method":"POST","url":"http://127.0.0.1:9/x","headers":{"X-A":{{Str()}}},"body":{{Value(5)}}""" + "}}";

    private string Bulk()
    {
        var items = Enumerable.Range(0, _random.Next(0, 6)).Select(_ => Job());
        return Mutate("{\"items\":[" + string.Join(",", items) + "]}");
    }

    private string Event()
    {
        var type = Pick(["action", "function", "notification", "database_action", "messagebroker", "ACTION", "ACTION ", "x"])!;
        return Mutate(Obj(("type", Str(type)), ("tag", Str($"e{_random.Next(1000)}")), ("name", Str("fuzz event")), ("definition", Definition())));
    }

    private string Definition() => _random.Next(4) switch
    {
        0 => Obj(("method", Str("POST")), ("url", Str("http://127.0.0.1:9/x")), ("headers", Obj(("X-A", Str()))), ("body", Value(4)), ("timeout_ms", Num())),
        1 => Obj(("language", Str("javascript")), ("code", Str("function handler(){ return 1; }")), ("timeout_ms", Num())),
        2 => Obj(("channel", Str("webhook")), ("url", Str()), ("body", Value(3))),
        _ => Value(5),
    };

    /// <summary>A valid-looking JSON text, changed in one of many hostile ways about half the time.</summary>
    private string Mutate(string json) => _random.Next(24) switch
    {
        0 => Deep(_random.Next(50, 400), json),
        1 => json[..Math.Max(0, _random.Next(json.Length))],                               // truncated
        2 => json + Pick(["}", "]", ",", " x", "\u0000", "{}"]),                          // trailing text
        3 => json.Replace("\"name\"", "\"Name\"", StringComparison.Ordinal),
        4 => json.Replace("\"tag\"", "\"TAG\"", StringComparison.Ordinal),
        5 => "{" + $"\"{Pick(OddStrings)}\":1," + json.TrimStart('{'),                     // odd field name
        6 => json.Replace("{", "{\"name\":\"dup\",", StringComparison.Ordinal),             // duplicate keys
        7 => Value(6),                                                                      // wrong root
        8 => json.Replace("\"", "'", StringComparison.Ordinal),
        9 => "{\"x\":\"" + new string('A', _random.Next(1, 300_000)) + "\"}",
        10 => json.Replace(":\"", ":\"\\u0000", StringComparison.Ordinal),
        11 => json.Replace(":\"", ":\"\\r\\n", StringComparison.Ordinal),
        12 => json.Replace(":\"", ":\"\\ud800", StringComparison.Ordinal),
        13 => "",
        14 => "\ufeff" + json,
        15 => json.Replace("\":\"", "\":" + Pick(["1", "[]", "{}", "true", "null", "1e400"]) + ",\"z\":\"", StringComparison.Ordinal),
        _ => json,
    };

    private static string Deep(int depth, string inner) =>
        depth % 2 == 0 ? new string('[', depth) + inner + new string(']', depth)
                       : string.Concat(Enumerable.Repeat("{\"a\":", depth)) + inner + new string('}', depth);

    private string Value(int depth) => (depth <= 0 ? _random.Next(4) : _random.Next(7)) switch
    {
        0 => Str(),
        1 => Num(),
        2 => Pick(["true", "false", "null"])!,
        3 => Str(Pick(OddStrings)),
        4 => "[" + string.Join(",", Enumerable.Range(0, _random.Next(4)).Select(_ => Value(depth - 1))) + "]",
        _ => "{" + string.Join(",", Enumerable.Range(0, _random.Next(4)).Select(_ => $"\"{FieldName()}\":{Value(depth - 1)}")) + "}",
    };

    private string FieldName() => _random.Next(4) == 0 ? Pick(OddStrings)! : Pick(Fields)!;

    private string Obj(params (string Name, string Value)[] fields) =>
        "{" + string.Join(",", fields.Where(_ => _random.Next(12) != 0).Select(f => $"\"{f.Name}\":{(_random.Next(8) == 0 ? Value(2) : f.Value)}")) + "}";

    /// <summary>A JSON string literal (the content is already escaped where it needs to be).</summary>
    private string Str(string? usual = null) =>
        "\"" + (usual is not null && _random.Next(3) != 0 ? usual : _random.Next(2) == 0 ? Pick(OddStrings) : RandomText()) + "\"";

    private string Num(string? usual = null) => usual is not null && _random.Next(3) != 0 ? usual : Pick(OddNumbers)!;

    private string Query()
    {
        var parts = new List<string>();
        if (_random.Next(2) == 0) parts.Add("limit=" + Uri.EscapeDataString(Pick(OddNumbers)!.Length > 50 ? "9" : Pick(OddNumbers)!));
        if (_random.Next(2) == 0) parts.Add("status=" + Pick(["active", "PAUSED", "running", "x", "%00", ""]));
        if (_random.Next(2) == 0) parts.Add("cursor=" + Pick(["", "x", "%2e%2e", "0123456789abcdef0123456789abcdef", "j1", "%ed%a0%80"]));
        return string.Join('&', parts);
    }

    private string RandomText()
    {
        var sb = new StringBuilder();
        for (int i = _random.Next(0, 40); i > 0; i--)
        {
            int c = _random.Next(6) switch { 0 => _random.Next(0, 0x20), 1 => _random.Next(0x80, 0x800), 2 => _random.Next(0xD800, 0xE000), _ => _random.Next(0x20, 0x7F) };
            sb.Append(c is '"' or '\\' || c < 0x20 || c >= 0xD800 && c < 0xE000 ? $"\\u{c.ToString("x4", CultureInfo.InvariantCulture)}" : ((char)c).ToString());
        }
        return sb.ToString();
    }

    private string? Pick(string[] options, double probability = 1.0) =>
        _random.NextDouble() < probability ? options[_random.Next(options.Length)] : null;
}
