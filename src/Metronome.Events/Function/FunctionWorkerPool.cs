using Metronome.FunctionHost;
using Microsoft.Extensions.Options;

namespace Metronome.Events.Function;

/// <summary>
/// A small pool of <see cref="FunctionWorker"/> processes. An attempt takes an idle worker, or starts one while fewer
/// than <see cref="FunctionPoolOptions.Workers"/> exist, or waits in its product's queue (bounded by
/// <see cref="FunctionPoolOptions.QueuePerProduct"/>; past it the attempt fails at once). A freed worker serves the
/// waiting products round-robin, first come first served within a product. Workers that crash, time out, announce
/// their exit or reach <see cref="FunctionPoolOptions.MaxAttemptsPerWorker"/> are replaced.
/// </summary>
internal sealed class FunctionWorkerPool : IDisposable
{
    private readonly FunctionPoolOptions _options;
    private readonly Lazy<FunctionHostLocation> _host;
    private readonly object _gate = new();
    private readonly Stack<FunctionWorker> _idle = new();
    private readonly HashSet<FunctionWorker> _live = [];
    private readonly Dictionary<string, LinkedList<Waiter>> _waiting = new(StringComparer.Ordinal);
    private readonly Queue<string> _turns = new();
    private int _slots;
    private int _started;
    private bool _disposed;

    public FunctionWorkerPool(IOptions<FunctionPoolOptions> options)
    {
        _options = options.Value;
        _host = new Lazy<FunctionHostLocation>(() => FunctionHostLocation.Find(_options));
    }

    /// <summary>Worker processes started so far (replacements included).</summary>
    public int StartedWorkers => Volatile.Read(ref _started);

    /// <summary>Attempts of <paramref name="product"/> waiting for a worker.</summary>
    public int Waiting(string product)
    {
        lock (_gate) return _waiting.TryGetValue(product, out var list) ? list.Count : 0;
    }

    /// <summary>Process ids of the workers alive now.</summary>
    public IReadOnlyList<int> WorkerProcessIds()
    {
        lock (_gate) return _live.Select(w => w.ProcessId).ToList();
    }

    /// <summary>Runs one attempt of <paramref name="product"/>; null when the product's queue is full.</summary>
    public async Task<WorkerAnswer?> RunAsync(string product, WorkerRequest request, CancellationToken ct)
    {
        var lease = Acquire(product, ct);
        if (lease is null) return null;
        var worker = await lease.ConfigureAwait(false);
        try
        {
            worker ??= await StartWorkerAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            Release(null);
            throw;
        }
        try
        {
            ct.ThrowIfCancellationRequested();
            return await worker.RunAsync(request, ct).ConfigureAwait(false);
        }
        finally
        {
            Release(worker);
        }
    }

    /// <summary>A worker (null: start one in the freed slot), or null when the queue is full.</summary>
    private Task<FunctionWorker?>? Acquire(string product, CancellationToken ct)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_idle.TryPop(out var idle)) return Task.FromResult<FunctionWorker?>(idle);
            if (_slots < _options.Workers)
            {
                _slots++;
                return Task.FromResult<FunctionWorker?>(null);
            }
            if (!_waiting.TryGetValue(product, out var list))
            {
                list = new LinkedList<Waiter>();
                _waiting[product] = list;
            }
            if (list.Count >= _options.QueuePerProduct) return null;
            var waiter = new Waiter(product);
            waiter.Node = list.AddLast(waiter);
            if (list.Count == 1) _turns.Enqueue(product);
            waiter.Registration = ct.Register(() => Cancel(waiter, ct));
            return waiter.Lease.Task;
        }
    }

    private void Cancel(Waiter waiter, CancellationToken ct)
    {
        lock (_gate)
        {
            if (waiter.Node?.List is { } list)
            {
                list.Remove(waiter.Node);
                if (list.Count == 0) _waiting.Remove(waiter.Product);
            }
            waiter.Lease.TrySetCanceled(ct);
        }
    }

    private async Task<FunctionWorker> StartWorkerAsync(CancellationToken ct)
    {
        var worker = await FunctionWorker.StartAsync(_host.Value, _options, ct).ConfigureAwait(false);
        Interlocked.Increment(ref _started);
        lock (_gate)
        {
            _live.Add(worker);
            if (!_disposed) return worker;
        }
        worker.Kill();
        throw new ObjectDisposedException(nameof(FunctionWorkerPool));
    }

    /// <summary>Hands the slot of <paramref name="worker"/> (null: a worker that never started) to the next waiter.</summary>
    private void Release(FunctionWorker? worker)
    {
        var retire = worker is not null && (!worker.Usable || worker.Attempts >= _options.MaxAttemptsPerWorker);
        lock (_gate)
        {
            if (worker is not null && (retire || _disposed)) _live.Remove(worker);
            var keep = worker is not null && !retire && !_disposed ? worker : null;
            Waiter? next = null;
            while (!_disposed && next is null && _turns.TryDequeue(out var product))
            {
                if (!_waiting.TryGetValue(product, out var list) || list.Count == 0) continue;
                next = list.First!.Value;
                list.RemoveFirst();
                next.Node = null;
                if (list.Count > 0) _turns.Enqueue(product);
                else _waiting.Remove(product);
            }
            if (next is not null)
            {
                next.Registration.Dispose();
                next.Lease.TrySetResult(keep);
            }
            else if (keep is not null) _idle.Push(keep);
            else _slots--;
        }
        if (worker is not null && (retire || _disposed))
            _ = Task.Run(worker.Dispose);
    }

    public void Dispose()
    {
        List<FunctionWorker> workers;
        List<Waiter> waiters;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            workers = [.. _live];
            _live.Clear();
            _idle.Clear();
            waiters = [.. _waiting.Values.SelectMany(l => l)];
            _waiting.Clear();
            _turns.Clear();
        }
        foreach (var waiter in waiters) waiter.Lease.TrySetException(new ObjectDisposedException(nameof(FunctionWorkerPool)));
        foreach (var worker in workers) worker.Kill();
        foreach (var worker in workers) worker.Dispose();
    }

    private sealed class Waiter(string product)
    {
        public string Product { get; } = product;
        public TaskCompletionSource<FunctionWorker?> Lease { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public LinkedListNode<Waiter>? Node { get; set; }
        public CancellationTokenRegistration Registration { get; set; }
    }
}
