using Metronome.Contracts;
using Metronome.Core.Catalog;
using Metronome.Core.Jobs;

namespace Metronome.Core.Hosting;

/// <summary>
/// <see cref="IMetronome"/> in-process: the same services the REST endpoints call, mapped to the wire contracts, with
/// failures translated to the <see cref="MetronomeApiException"/> (and status) the server would have answered. Calls are
/// made as the host itself, so there is no key and no 401/403.
/// </summary>
internal sealed class EmbeddedMetronome(JobService jobs, CatalogService catalog, Audit.AuditLogService audit) : IMetronome
{
    public IProducts Products { get; } = new EmbeddedProducts(catalog);

    public IProductApi Product(string product)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(product);
        return new EmbeddedProductApi(product, jobs, catalog, audit);
    }

    /// <summary>Runs <paramref name="call"/>, translating domain failures as the server's exception handler does (<see cref="DomainProblem"/>).</summary>
    internal static async Task<T> Call<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception e) when (DomainProblem.From(e) is { } problem)
        {
            throw new MetronomeApiException(problem.Status, problem.Title, problem.Detail, problem.Errors, innerException: e);
        }
    }

    internal static Task Call(Func<Task> call) => Call(async () => { await call().ConfigureAwait(false); return true; });
}

internal sealed class EmbeddedProductApi(string product, JobService jobs, CatalogService catalog, Audit.AuditLogService audit) : IProductApi
{
    public string Tag => product;
    public IProductJobs Jobs { get; } = new EmbeddedJobs(product, jobs);
    public IProductEvents Events { get; } = new EmbeddedEvents(product, catalog);
    public IProductSecrets Secrets { get; } = new EmbeddedSecrets(product, catalog);
    public IProductKeys Keys { get; } = new EmbeddedKeys(product, catalog);

    public Task<ProductStats> FetchStatsAsync(int? minutes = null, CancellationToken ct = default) =>
        EmbeddedMetronome.Call(() => jobs.GetStatsAsync(product, minutes, ct));

    public Task<Page<AuditLogEntry>> AuditAsync(int? limit = null, string? cursor = null, CancellationToken ct = default) =>
        EmbeddedMetronome.Call(async () =>
        {
            var page = await audit.ListAsync(product, limit, cursor, ct);
            return new Page<AuditLogEntry> { Items = [.. page.Items.Select(Audit.AuditMapping.ToContract)], NextCursor = page.NextCursor };
        });
}

internal sealed class EmbeddedJobs(string product, JobService jobs) : IProductJobs
{
    public Task<ProductJob> CreateAsync(ProductJob job, CancellationToken ct = default) =>
        EmbeddedMetronome.Call(async () => (await jobs.CreateAsync(product, Required(job), ct)).ToContract());

    public Task<ProductJob> UpdateAsync(string tag, ProductJobUpdate update, CancellationToken ct = default) =>
        EmbeddedMetronome.Call(async () => (await jobs.UpdateAsync(product, tag, Required(update), ct)).ToContract());

    public Task<ProductJob> FetchAsync(string tag, CancellationToken ct = default) =>
        EmbeddedMetronome.Call(() => jobs.GetWithNextRunsAsync(product, tag, ct));

    public Task<IReadOnlyList<ProductJob>> FetchAllAsync(CancellationToken ct = default) =>
        Paging.AllAsync(cursor => ListAsync(null, Paging.MaxLimit, cursor, ct));

    public Task<Page<ProductJob>> ListAsync(string? status = null, int? limit = null, string? cursor = null, CancellationToken ct = default) =>
        EmbeddedMetronome.Call(async () => (await jobs.ListAsync(product, status, limit, cursor, ct)).ToContract());

    public Task DeleteAsync(string tag, CancellationToken ct = default) =>
        EmbeddedMetronome.Call(() => jobs.DeleteAsync(product, tag, ct));

    public Task<ProductJob> PauseAsync(string tag, CancellationToken ct = default) =>
        EmbeddedMetronome.Call(async () => (await jobs.PauseAsync(product, tag, ct)).ToContract());

    public Task<ProductJob> ResumeAsync(string tag, CancellationToken ct = default) =>
        EmbeddedMetronome.Call(async () => (await jobs.ResumeAsync(product, tag, ct)).ToContract());

    public Task<JobRun> TriggerAsync(string tag, CancellationToken ct = default) =>
        EmbeddedMetronome.Call(async () => (await jobs.TriggerAsync(product, tag, ct)).ToContract());

    public IAsyncEnumerable<JobRun> RunsAsync(string tag, string? status = null, int pageSize = 100, CancellationToken ct = default) =>
        Paging.EachAsync((cursor, token) => ListRunsAsync(tag, status, pageSize, cursor, token), ct);

    public Task<Page<JobRun>> ListRunsAsync(string tag, string? status = null, int? limit = null, string? cursor = null, CancellationToken ct = default) =>
        EmbeddedMetronome.Call(async () => (await jobs.ListRunsAsync(product, tag, status, limit, cursor, ct)).ToContract());

    public Task<Page<JobRun>> ListProductRunsAsync(string? status = null, string? job = null, int? limit = null, string? cursor = null, CancellationToken ct = default) =>
        EmbeddedMetronome.Call(async () => (await jobs.ListProductRunsAsync(product, status, job, limit, cursor, ct)).ToContract());

    public Task<JobRun> FetchRunAsync(string runId, CancellationToken ct = default) =>
        EmbeddedMetronome.Call(async () => (await jobs.GetRunAsync(product, runId, ct)).ToContract());

    public Task<ProductJob> PauseAsync(string tag, DateTimeOffset until, CancellationToken ct = default) =>
        EmbeddedMetronome.Call(async () => (await jobs.PauseAsync(product, tag, new JobPauseRequest { Until = until }, ct)).ToContract());

    public Task<SchedulePreview> PreviewScheduleAsync(SchedulePreviewRequest request, CancellationToken ct = default) =>
        EmbeddedMetronome.Call(() => jobs.PreviewScheduleAsync(product, Required(request), ct));
    public Task<JobBackfillResponse> BackfillAsync(string tag, DateTimeOffset from, DateTimeOffset to, CancellationToken ct = default) =>
        EmbeddedMetronome.Call(async () => new JobBackfillResponse
        {
            Slots = (await jobs.BackfillAsync(product, tag, new JobBackfillRequest
            {
                From = from.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                To = to.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            }, ct)).Queued,
        });
    // "desired", not "jobs": that name is the service this class wraps.
    public Task<JobsApplyResult> ApplyAsync(IReadOnlyList<ProductJob> desired, bool prune = false, bool dryRun = false, CancellationToken ct = default) =>
        EmbeddedMetronome.Call(() => jobs.ApplyAsync(product, Required(desired), prune, dryRun, ct));

    private static T Required<T>(T? body) where T : class =>
        body ?? throw ValidationFailedException.For("body", "A JSON body is required.");
}

internal sealed class EmbeddedEvents(string product, CatalogService catalog) : IProductEvents
{
    public Task<ProductEvent> CreateAsync(ProductEvent ev, CancellationToken ct = default) =>
        EmbeddedMetronome.Call(async () => (await catalog.CreateEventAsync(product, ev, ct)).ToContract());

    public Task<ProductEvent> FetchAsync(string type, string tag, CancellationToken ct = default) =>
        EmbeddedMetronome.Call(async () => (await catalog.GetEventAsync(product, type, tag, ct)).ToContract());

    public Task<IReadOnlyList<ProductEvent>> FetchAllAsync(string? type = null, CancellationToken ct = default) =>
        EmbeddedMetronome.Call(async () => (IReadOnlyList<ProductEvent>)[.. (await catalog.ListEventsAsync(product, type, ct)).Select(CatalogMapping.ToContract)]);

    public Task<ProductEvent> UpdateAsync(string type, string tag, ProductEventUpdate update, CancellationToken ct = default) =>
        EmbeddedMetronome.Call(async () => (await catalog.UpdateEventAsync(product, type, tag, update, ct)).ToContract());

    public Task DeleteAsync(string type, string tag, bool force = false, CancellationToken ct = default) =>
        EmbeddedMetronome.Call(() => catalog.DeleteEventAsync(product, type, tag, force, ct));
}

internal sealed class EmbeddedSecrets(string product, CatalogService catalog) : IProductSecrets
{
    public Task SetAsync(string name, string value, CancellationToken ct = default) =>
        EmbeddedMetronome.Call(() => catalog.PutSecretAsync(product, name, new SecretValue { Value = value }, ct));

    public Task<IReadOnlyList<SecretInfo>> ListAsync(CancellationToken ct = default) =>
        EmbeddedMetronome.Call<IReadOnlyList<SecretInfo>>(async () =>
            [.. (await catalog.ListSecretsAsync(product, ct)).Select(s => new SecretInfo { Name = s.Name, UpdatedAt = s.UpdatedAt })]);

    public Task DeleteAsync(string name, bool force = false, CancellationToken ct = default) =>
        EmbeddedMetronome.Call(() => catalog.DeleteSecretAsync(product, name, force, ct));
}

internal sealed class EmbeddedKeys(string product, CatalogService catalog) : IProductKeys
{
    public Task<ProductKey> CreateAsync(CancellationToken ct = default) =>
        EmbeddedMetronome.Call(() => catalog.CreateKeyAsync(product, ct));

    public Task<IReadOnlyList<KeyInfo>> ListAsync(CancellationToken ct = default) =>
        EmbeddedMetronome.Call<IReadOnlyList<KeyInfo>>(async () =>
            [.. (await catalog.ListKeysAsync(product, ct)).Select(k => new KeyInfo { Id = k.Id, CreatedAt = k.CreatedAt, LastUsedAt = k.LastUsedAt })]);

    public Task RevokeAsync(string id, CancellationToken ct = default) =>
        EmbeddedMetronome.Call(() => catalog.RevokeKeyAsync(product, id, ct));
}

internal sealed class EmbeddedProducts(CatalogService catalog) : IProducts
{
    public Task<Product> CreateAsync(Product product, CancellationToken ct = default) =>
        EmbeddedMetronome.Call(async () => (await catalog.CreateProductAsync(product, ct)).ToContract());

    public Task<Product> FetchAsync(string tag, CancellationToken ct = default) =>
        EmbeddedMetronome.Call(async () => (await catalog.GetProductAsync(tag, ct)).ToContract());

    public Task<IReadOnlyList<Product>> FetchAllAsync(CancellationToken ct = default) =>
        EmbeddedMetronome.Call(async () => (IReadOnlyList<Product>)[.. (await catalog.ListProductsAsync(ct)).Select(CatalogMapping.ToContract)]);

    public Task<Product> UpdateAsync(string tag, ProductUpdate update, CancellationToken ct = default) =>
        EmbeddedMetronome.Call(async () => (await catalog.UpdateProductAsync(tag, update, ct)).ToContract());

    public Task DeleteAsync(string tag, CancellationToken ct = default) =>
        EmbeddedMetronome.Call(() => catalog.DeleteProductAsync(tag, ct));
}
