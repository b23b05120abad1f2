using Acornima.Ast;
using Jint;

namespace Metronome.FunctionHost;

/// <summary>
/// Prepared scripts by source text, least recently used first out once the sources held pass <c>budgetChars</c>.
/// A prepared tree takes ten to forty times its source in memory (a large array literal is the worst case), so the
/// default 1 M characters hold tens of MB.
/// Used by the worker's one attempt thread at a time, so it takes no locks.
/// </summary>
internal sealed class ScriptCache(long budgetChars)
{
    private readonly Dictionary<string, LinkedListNode<(string Code, Prepared<Script> Script)>> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Code, Prepared<Script> Script)> _recency = new();

    public long HeldChars { get; private set; }
    public int Count => _entries.Count;
    public bool Contains(string code) => _entries.ContainsKey(code);

    /// <summary>The prepared script; throws <see cref="ScriptPreparationException"/> when the code does not parse.</summary>
    public Prepared<Script> Get(string code)
    {
        if (_entries.TryGetValue(code, out var node))
        {
            _recency.Remove(node);
            _recency.AddFirst(node);
            return node.Value.Script;
        }
        var script = Engine.PrepareScript(code);
        // A script over the whole budget is used once and not kept.
        if (code.Length > budgetChars) return script;
        while (HeldChars + code.Length > budgetChars && _recency.Last is { } oldest)
        {
            _recency.RemoveLast();
            _entries.Remove(oldest.Value.Code);
            HeldChars -= oldest.Value.Code.Length;
        }
        _entries[code] = _recency.AddFirst((code, script));
        HeldChars += code.Length;
        return script;
    }
}
