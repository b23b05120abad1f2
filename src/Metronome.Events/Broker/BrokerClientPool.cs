using System.Collections.Concurrent;

namespace Metronome.Events.Broker;

/// <summary>
/// One client per distinct (rendered) connection string, created lazily on first use and shared by every execution
/// after it. Creation runs once per key however many executions ask at the same time (a <see cref="Lazy{T}"/> of the
/// connect task in a <see cref="ConcurrentDictionary{TKey,TValue}"/>), with no lock held across an await.
/// </summary>
/// <remarks>
/// <para>The connect runs under its own deadline (<c>connectTimeout</c>), not under the first caller's token, because
/// its result is shared; each caller waits for it only as long as its own token allows. A failed connect removes its
/// entry, so the next execution tries again instead of seeing an old failure. A client found unusable (the broker
/// went away) is evicted, disposed and replaced by a fresh connect, which fails fast while the broker is down.</para>
/// <para>Keys hold rendered connection strings (secrets included); they live only in memory and are never logged.</para>
/// </remarks>
internal sealed class BrokerClientPool<TClient> : IAsyncDisposable where TClient : class
{
    private readonly ConcurrentDictionary<string, Lazy<Task<TClient>>> _clients = new(StringComparer.Ordinal);
    private readonly Func<string, CancellationToken, Task<TClient>> _connect;
    private readonly Func<TClient, bool> _isUsable;
    private readonly Func<TClient, ValueTask> _dispose;
    private readonly TimeSpan _connectTimeout;
    private readonly CancellationTokenSource _disposing = new();
    private int _created;

    /// <param name="connect">Opens a client for a connection string; must honour the token.</param>
    /// <param name="isUsable">False when a cached client is broken and must be replaced.</param>
    /// <param name="dispose">Closes a client (must not throw).</param>
    /// <param name="connectTimeout">How long one connect may take before it fails with a <see cref="TimeoutException"/>.</param>
    public BrokerClientPool(Func<string, CancellationToken, Task<TClient>> connect, Func<TClient, bool> isUsable,
        Func<TClient, ValueTask> dispose, TimeSpan connectTimeout)
    {
        _connect = connect;
        _isUsable = isUsable;
        _dispose = dispose;
        _connectTimeout = connectTimeout;
    }

    /// <summary>How many clients were connected successfully so far (for tests of reuse).</summary>
    public int Created => Volatile.Read(ref _created);

    /// <summary>The client cached for <paramref name="connection"/>, if one is connected.</summary>
    public TClient? Cached(string connection) =>
        _clients.TryGetValue(connection, out var entry) && entry.IsValueCreated && entry.Value.IsCompletedSuccessfully ? entry.Value.Result : null;

    /// <summary>The shared client for <paramref name="connection"/>, connecting (or reconnecting) when needed.</summary>
    /// <exception cref="TimeoutException">The connect took longer than the connect timeout.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled while waiting.</exception>
    public async Task<TClient> GetAsync(string connection, CancellationToken ct)
    {
        for (var round = 0; ; round++)
        {
            ObjectDisposedException.ThrowIf(_disposing.IsCancellationRequested, this);
            Lazy<Task<TClient>>? created = null;
            var entry = _clients.GetOrAdd(connection, key => created = NewEntry(key));
            var client = await entry.Value.WaitAsync(ct).ConfigureAwait(false);
            // A client this call just connected is returned as is; a cached one is checked first.
            if (ReferenceEquals(entry, created) || round > 0 || _isUsable(client)) return client;
            if (_clients.TryRemove(KeyValuePair.Create(connection, entry))) await _dispose(client).ConfigureAwait(false);
        }
    }

    /// <summary>Drops <paramref name="client"/> if it is still the one cached for <paramref name="connection"/>.</summary>
    public async ValueTask EvictAsync(string connection, TClient client)
    {
        if (_clients.TryGetValue(connection, out var entry) && entry.IsValueCreated && entry.Value.IsCompletedSuccessfully
            && ReferenceEquals(entry.Value.Result, client) && _clients.TryRemove(KeyValuePair.Create(connection, entry)))
            await _dispose(client).ConfigureAwait(false);
    }

    private Lazy<Task<TClient>> NewEntry(string connection)
    {
        Lazy<Task<TClient>>? entry = null;
        entry = new Lazy<Task<TClient>>(() => ConnectAsync(connection, entry!), LazyThreadSafetyMode.ExecutionAndPublication);
        return entry;
    }

    private async Task<TClient> ConnectAsync(string connection, Lazy<Task<TClient>> entry)
    {
        await Task.Yield(); // never run a connect inline inside GetOrAdd's factory
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_disposing.Token);
        deadline.CancelAfter(_connectTimeout);
        try
        {
            var connecting = _connect(connection, deadline.Token);
            TClient client;
            try
            {
                // Not every library honours the token through its whole handshake: stop waiting anyway.
                client = await connecting.WaitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                CloseWhenConnected(connecting);
                throw;
            }
            Interlocked.Increment(ref _created);
            if (_disposing.IsCancellationRequested)
            {
                await _dispose(client).ConfigureAwait(false);
                throw new ObjectDisposedException(GetType().Name);
            }
            return client;
        }
        catch (OperationCanceledException e) when (deadline.IsCancellationRequested && !_disposing.IsCancellationRequested)
        {
            _clients.TryRemove(KeyValuePair.Create(connection, entry));
            throw new TimeoutException($"No connection to the broker within {_connectTimeout.TotalMilliseconds:0} ms.", e);
        }
        catch
        {
            _clients.TryRemove(KeyValuePair.Create(connection, entry));
            throw;
        }
    }

    /// <summary>Closes the client of a connect nobody waits for any more, if it ever succeeds.</summary>
    private void CloseWhenConnected(Task<TClient> connecting) =>
        _ = connecting.ContinueWith(t => _dispose(t.Result).AsTask(), CancellationToken.None,
            TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default).Unwrap();

    /// <summary>Closes every connected client; connects still under way are cancelled and closed if they complete.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposing.IsCancellationRequested) return;
        await _disposing.CancelAsync().ConfigureAwait(false);
        foreach (var (_, entry) in _clients)
        {
            if (!entry.IsValueCreated) continue;
            var connecting = entry.Value;
            if (connecting.IsCompletedSuccessfully) await _dispose(connecting.Result).ConfigureAwait(false);
            else if (!connecting.IsCompleted) CloseWhenConnected(connecting);
        }
        _clients.Clear();
    }
}
