using Metronome.Core.Storage;
using Metronome.Core.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Metronome.Core.Engine;

/// <summary>
/// This node's copy of every product's <c>max_concurrency</c>, read from the catalogue in one query: at start, at once
/// after a change made through this node (<see cref="Invalidate"/>), and every <see cref="MetronomeOptions.ProductLimitsRefresh"/> anyway, so that a change made
/// on another node of a cluster is seen within that time. The dispatcher reads it on every attempt without awaiting; a
/// product it has never read (created on another node since the last refresh) is held to the default until the next read.
/// </summary>
internal sealed class ProductConcurrencyCaps(ICatalogStore catalog, TimeProvider time, IOptions<MetronomeOptions> options,
    ILogger<ProductConcurrencyCaps> logger) : EngineService(logger)
{
    private readonly int _defaultCap = options.Value.DefaultProductConcurrency;
    private readonly int _maxConcurrency = options.Value.MaxConcurrency;
    private readonly TimeSpan _refresh = options.Value.ProductLimitsRefresh;
    private readonly AsyncSignal _invalidated = new();

    /// <summary>A product's cap changed (the dispatcher then starts attempts a raised cap lets through).</summary>
    public event Action? Changed;
    private volatile Dictionary<string, int> _caps = new(StringComparer.Ordinal);

    /// <summary>The number of attempts of <paramref name="product"/> that may execute at once on this node.</summary>
    public int CapOf(string product) => Math.Min(_caps.TryGetValue(product, out var cap) ? cap : _defaultCap, _maxConcurrency);

    /// <summary>A product changed through this node: read the caps again now.</summary>
    public void Invalidate() => _invalidated.Set();

    /// <summary>Reads every product's cap; tells the dispatcher when one changed (a raised cap lets waiting attempts start).</summary>
    public async Task LoadAsync(CancellationToken ct)
    {
        var products = await catalog.ListProductsAsync(ct).ConfigureAwait(false);
        var caps = new Dictionary<string, int>(products.Count, StringComparer.Ordinal);
        foreach (var p in products)
            if (p.MaxConcurrency is { } cap) caps[p.Tag] = cap;
        var before = _caps;
        _caps = caps;
        if (caps.Count != before.Count || caps.Any(kv => !before.TryGetValue(kv.Key, out var old) || old != kv.Value)) Changed?.Invoke();
    }

    protected override async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            using (var wait = CancellationTokenSource.CreateLinkedTokenSource(stop))
            {
                var delay = Task.Delay(_refresh, time, wait.Token);
                await Task.WhenAny(_invalidated.WaitAsync(), delay).ConfigureAwait(false);
                wait.Cancel();
            }
            _invalidated.Reset();
            if (stop.IsCancellationRequested) return;
            try
            {
                await LoadAsync(stop).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
            {
                // Keep the last known caps: a store outage must not lift or tighten anyone's limit.
                Logger.LogWarning("Reading the products' max_concurrency failed ({Error}); keeping the last known values", ex.Message);
            }
        }
    }
}
