using Metronome.Core.Storage;

namespace Metronome.Core.Engine;

/// <summary>
/// The node's concurrency slots shared fairly between products: at most <c>maxConcurrency</c> attempts execute at once, and
/// at most the product's cap (<c>capOf</c>) of one product. An attempt that finds no slot waits in its product's line
/// (first in, first out); when slots free, the lines are served round-robin, one attempt per product per turn, skipping a
/// product at its cap. A product below its cap therefore never waits behind another product's line.
/// </summary>
/// <remarks>
/// One lock guards the counters and lines: taking and giving back a slot are a few instructions under it, and the lock
/// is what makes "product at its cap" and "node full" one consistent decision.
/// </remarks>
internal sealed class FairSlots(int maxConcurrency, Func<string, int> capOf)
{
    private sealed class Line(string product)
    {
        public readonly string Product = product;
        public readonly Queue<ClaimedRun> Waiting = new();
        public int Active;
        public bool InTurn;
    }

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Line> _lines = new(StringComparer.Ordinal);
    private readonly Queue<Line> _turns = new(); // products with waiting attempts, in the order they are served
    private int _active;
    private int _waiting;

    /// <summary>Attempts holding a slot.</summary>
    public int Active { get { lock (_lock) return _active; } }

    /// <summary>Attempts waiting in a product's line.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Takes a slot for <paramref name="run"/> (true), or puts it at the end of its product's line (false).</summary>
    public bool TryTakeOrWait(ClaimedRun run)
    {
        var product = run.Run.Product;
        int cap = capOf(product);
        lock (_lock)
        {
            if (!_lines.TryGetValue(product, out var line)) _lines[product] = line = new Line(product);
            if (line.Waiting.Count == 0 && line.Active < cap && _active < maxConcurrency)
            {
                line.Active++;
                _active++;
                return true;
            }
            line.Waiting.Enqueue(run);
            _waiting++;
            if (!line.InTurn)
            {
                line.InTurn = true;
                _turns.Enqueue(line);
            }
            return false;
        }
    }

    /// <summary>Gives back the slot of an attempt of <paramref name="product"/>; serve the lines next when <see cref="Waiting"/> is not zero.</summary>
    public void Release(string product)
    {
        lock (_lock)
        {
            var line = _lines[product];
            line.Active--;
            _active--;
            if (line.Active == 0 && line.Waiting.Count == 0) _lines.Remove(product);
        }
    }

    /// <summary>
    /// Serves the lines round-robin while slots are free: each turn takes the head of one product's line (a slot is taken
    /// for it and it is added to <paramref name="started"/>), unless the product is at its cap. A head that
    /// <paramref name="isExpired"/> leaves its line without a slot, into <paramref name="expired"/>.
    /// </summary>
    public void TakeWaiting(List<ClaimedRun> started, List<ClaimedRun> expired, Func<ClaimedRun, bool> isExpired)
    {
        lock (_lock) TakeWaitingLocked(started, expired, isExpired);
    }

    private void TakeWaitingLocked(List<ClaimedRun> started, List<ClaimedRun> expired, Func<ClaimedRun, bool> isExpired)
    {
        int blocked = 0; // consecutive products found at their cap: a whole round of them ends the serving
        while (_active < maxConcurrency && _turns.Count > 0 && blocked < _turns.Count)
        {
            var line = _turns.Dequeue();
            var head = line.Waiting.Peek();
            if (isExpired(head))
            {
                line.Waiting.Dequeue();
                _waiting--;
                expired.Add(head);
                blocked = 0;
            }
            else if (line.Active < capOf(line.Product))
            {
                line.Waiting.Dequeue();
                _waiting--;
                line.Active++;
                _active++;
                started.Add(head);
                blocked = 0;
            }
            else
            {
                _turns.Enqueue(line);
                blocked++;
                continue;
            }
            if (line.Waiting.Count > 0) _turns.Enqueue(line);
            else
            {
                line.InTurn = false;
                if (line.Active == 0) _lines.Remove(line.Product);
            }
        }
    }

    /// <summary>Empties every line (the engine is stopping); returns the attempts that were waiting (none started).</summary>
    public List<ClaimedRun> DropWaiting()
    {
        lock (_lock)
        {
            var dropped = new List<ClaimedRun>(_waiting);
            foreach (var line in _turns)
            {
                dropped.AddRange(line.Waiting);
                line.Waiting.Clear();
                line.InTurn = false;
            }
            _turns.Clear();
            _waiting = 0;
            return dropped;
        }
    }
}
