using Metronome.Client.Internal;
using Metronome.Contracts;

namespace Metronome.Client;

/// <summary>
/// The Metronome SDK: the seed's <c>ductape.product.jobs</c> as <c>client.Product("shop").Jobs</c>, plus events, secrets,
/// products and keys. Every failure throws <see cref="MetronomeApiException"/>; every call takes a
/// <see cref="CancellationToken"/>. Thread-safe; create one and keep it (or use <c>services.AddMetronomeClient</c>).
/// </summary>
public sealed class MetronomeClient : IMetronome, IDisposable
{
    private readonly ApiTransport _transport;
    private readonly HttpClient? _owned;

    /// <summary>A client with its own connection pool and the default retry policy for idempotent calls.</summary>
    public MetronomeClient(MetronomeClientOptions options)
        : this(CreateHttpClient(options), options, owns: true)
    {
    }

    /// <summary>
    /// A client over an <see cref="HttpClient"/> the caller manages (from <see cref="IHttpClientFactory"/>, with its own
    /// handlers); its <see cref="HttpClient.BaseAddress"/> and default headers are not used.
    /// </summary>
    public MetronomeClient(HttpClient httpClient, MetronomeClientOptions options)
        : this(httpClient, options, owns: false)
    {
    }

    private MetronomeClient(HttpClient httpClient, MetronomeClientOptions options, bool owns)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _transport = new ApiTransport(httpClient, options.BaseAddress!, options.ApiKey);
        _owned = owns ? httpClient : null;
        Products = new ProductsClient(_transport);
    }

    /// <inheritdoc />
    public IProducts Products { get; }

    /// <inheritdoc />
    public IProductApi Product(string product)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(product);
        // Checked here, before any URL is built: a tag such as ".." would otherwise address another resource.
        return new ProductClient(ResourceNames.RequireTag(product, "product tag"), _transport);
    }

    /// <summary>Disposes the connection pool when this client created it.</summary>
    /// <summary>The members of the cluster, its leader and each heartbeat's age (<c>GET /api/cluster/nodes</c>; any valid key).</summary>
    public Task<ClusterNodes> FetchClusterNodesAsync(CancellationToken ct = default) =>
        _transport.SendAsync<ClusterNodes>(HttpMethod.Get, Routes.ClusterNodes, null, ct);

    public void Dispose() => _owned?.Dispose();

    private static HttpClient CreateHttpClient(MetronomeClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var primary = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) };
        HttpMessageHandler handler = options.MaxRetryAttempts == 0 ? primary : MetronomeResilience.CreateHandler(options, primary);
        return new HttpClient(handler, disposeHandler: true) { Timeout = options.Timeout };
    }
}

/// <summary>The APIs of one product, over HTTP.</summary>
internal sealed class ProductClient(string product, ApiTransport transport) : IProductApi
{
    public string Tag => product;
    public IProductJobs Jobs { get; } = new JobsClient(product, transport);
    public IProductEvents Events { get; } = new EventsClient(product, transport);
    public IProductSecrets Secrets { get; } = new SecretsClient(product, transport);
    public IProductKeys Keys { get; } = new KeysClient(product, transport);

    public Task<ProductStats> FetchStatsAsync(int? minutes = null, CancellationToken ct = default) =>
        transport.SendAsync<ProductStats>(HttpMethod.Get, Routes.Stats(product) + Query.Of(("minutes", Query.Int(minutes))), null, ct);

    public Task<Page<AuditLogEntry>> AuditAsync(int? limit = null, string? cursor = null, CancellationToken ct = default) =>
        transport.SendAsync<Page<AuditLogEntry>>(HttpMethod.Get, Routes.Audit(product) + Query.Of(("limit", Query.Int(limit)), ("cursor", cursor)), null, ct);
}
