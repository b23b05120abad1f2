using System.Globalization;
using Metronome.Client.Internal;
using Metronome.Contracts;

namespace Metronome.Client;

/// <summary><c>/api/products/{product}/jobs</c> over HTTP.</summary>
internal sealed class JobsClient(string product, ApiTransport api) : IProductJobs
{
    public Task<ProductJob> CreateAsync(ProductJob job, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        return api.SendAsync<ProductJob>(HttpMethod.Post, Routes.Jobs(product), job, ct);
    }

    public Task<ProductJob> UpdateAsync(string tag, ProductJobUpdate update, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        return api.SendAsync<ProductJob>(HttpMethod.Patch, Routes.Job(product, ResourceNames.RequireTag(tag, "job tag")), update, ct);
    }

    public Task<ProductJob> FetchAsync(string tag, CancellationToken ct = default) =>
        api.SendAsync<ProductJob>(HttpMethod.Get, Routes.Job(product, ResourceNames.RequireTag(tag, "job tag")), null, ct);

    public Task<IReadOnlyList<ProductJob>> FetchAllAsync(CancellationToken ct = default) =>
        Paging.AllAsync(cursor => ListAsync(null, Paging.MaxLimit, cursor, ct));

    public Task<Page<ProductJob>> ListAsync(string? status = null, int? limit = null, string? cursor = null, CancellationToken ct = default) =>
        api.SendAsync<Page<ProductJob>>(HttpMethod.Get, Routes.Jobs(product) + Query.Of(("status", status), ("limit", Query.Int(limit)), ("cursor", cursor)), null, ct);

    public Task DeleteAsync(string tag, CancellationToken ct = default) =>
        api.SendAsync(HttpMethod.Delete, Routes.Job(product, ResourceNames.RequireTag(tag, "job tag")), null, ct);

    public Task<ProductJob> PauseAsync(string tag, CancellationToken ct = default) =>
        api.SendAsync<ProductJob>(HttpMethod.Post, Routes.Job(product, ResourceNames.RequireTag(tag, "job tag")) + "/pause", null, ct);

    public Task<ProductJob> ResumeAsync(string tag, CancellationToken ct = default) =>
        api.SendAsync<ProductJob>(HttpMethod.Post, Routes.Job(product, ResourceNames.RequireTag(tag, "job tag")) + "/resume", null, ct);

    public Task<JobRun> TriggerAsync(string tag, CancellationToken ct = default) =>
        api.SendAsync<JobRun>(HttpMethod.Post, Routes.Job(product, ResourceNames.RequireTag(tag, "job tag")) + "/trigger", null, ct);

    public IAsyncEnumerable<JobRun> RunsAsync(string tag, string? status = null, int pageSize = 100, CancellationToken ct = default) =>
        Paging.EachAsync((cursor, token) => ListRunsAsync(tag, status, pageSize, cursor, token), ct);

    public Task<Page<JobRun>> ListRunsAsync(string tag, string? status = null, int? limit = null, string? cursor = null, CancellationToken ct = default) =>
        api.SendAsync<Page<JobRun>>(HttpMethod.Get, Routes.JobRuns(product, ResourceNames.RequireTag(tag, "job tag")) + Query.Of(("status", status), ("limit", Query.Int(limit)), ("cursor", cursor)), null, ct);

    public Task<JobRun> FetchRunAsync(string runId, CancellationToken ct = default) =>
        api.SendAsync<JobRun>(HttpMethod.Get, Routes.Run(product, ResourceNames.RequireRunId(runId)), null, ct);

    public Task<Page<JobRun>> ListProductRunsAsync(string? status = null, string? job = null, int? limit = null, string? cursor = null, CancellationToken ct = default) =>
        api.SendAsync<Page<JobRun>>(HttpMethod.Get, Routes.Runs(product) + Query.Of(("status", status), ("job", job), ("limit", Query.Int(limit)), ("cursor", cursor)), null, ct);

    public Task<ProductJob> PauseAsync(string tag, DateTimeOffset until, CancellationToken ct = default) =>
        api.SendAsync<ProductJob>(HttpMethod.Post, Routes.Job(product, ResourceNames.RequireTag(tag, "job tag")) + "/pause",
            new JobPauseRequest { Until = until }, ct);

    public Task<SchedulePreview> PreviewScheduleAsync(SchedulePreviewRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return api.SendAsync<SchedulePreview>(HttpMethod.Post, Routes.SchedulePreview(product), request, ct);
    }
    public Task<JobBackfillResponse> BackfillAsync(string tag, DateTimeOffset from, DateTimeOffset to, CancellationToken ct = default) =>
        api.SendAsync<JobBackfillResponse>(HttpMethod.Post, Routes.Job(product, ResourceNames.RequireTag(tag, "job tag")) + "/backfill",
            new JobBackfillRequest { From = from.UtcDateTime.ToString("O", CultureInfo.InvariantCulture), To = to.UtcDateTime.ToString("O", CultureInfo.InvariantCulture) }, ct);
    public Task<JobsApplyResult> ApplyAsync(IReadOnlyList<ProductJob> jobs, bool prune = false, bool dryRun = false, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        var query = Query.Of(("prune", prune ? "true" : null), ("dry_run", dryRun ? "true" : null));
        return api.SendAsync<JobsApplyResult>(HttpMethod.Post, Routes.JobsApply(product) + query, new JobsApplyRequest { Jobs = [.. jobs] }, ct);
    }
}

/// <summary><c>/api/products/{product}/events</c> over HTTP.</summary>
internal sealed class EventsClient(string product, ApiTransport api) : IProductEvents
{
    public Task<ProductEvent> CreateAsync(ProductEvent ev, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(ev);
        return api.SendAsync<ProductEvent>(HttpMethod.Post, Routes.Events(product), ev, ct);
    }

    public Task<ProductEvent> FetchAsync(string type, string tag, CancellationToken ct = default) =>
        api.SendAsync<ProductEvent>(HttpMethod.Get, Routes.Event(product, ResourceNames.RequireEventType(type), ResourceNames.RequireTag(tag, "event tag")), null, ct);

    public async Task<IReadOnlyList<ProductEvent>> FetchAllAsync(string? type = null, CancellationToken ct = default) =>
        (await api.SendAsync<Page<ProductEvent>>(HttpMethod.Get, Routes.Events(product) + Query.Of(("type", type)), null, ct).ConfigureAwait(false)).Items;

    public Task<ProductEvent> UpdateAsync(string type, string tag, ProductEventUpdate update, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        return api.SendAsync<ProductEvent>(HttpMethod.Patch, Routes.Event(product, ResourceNames.RequireEventType(type), ResourceNames.RequireTag(tag, "event tag")), update, ct);
    }

    public Task DeleteAsync(string type, string tag, bool force = false, CancellationToken ct = default) =>
        api.SendAsync(HttpMethod.Delete, Routes.Event(product, ResourceNames.RequireEventType(type), ResourceNames.RequireTag(tag, "event tag")) + (force ? "?force=true" : ""), null, ct);
}

/// <summary><c>/api/products/{product}/secrets</c> over HTTP.</summary>
internal sealed class SecretsClient(string product, ApiTransport api) : IProductSecrets
{
    public Task SetAsync(string name, string value, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        return api.SendAsync(HttpMethod.Put, Routes.Secret(product, ResourceNames.RequireSecretName(name)), new SecretValue { Value = value }, ct);
    }

    public Task<IReadOnlyList<SecretInfo>> ListAsync(CancellationToken ct = default) =>
        api.SendAsync<IReadOnlyList<SecretInfo>>(HttpMethod.Get, Routes.Secrets(product), null, ct);

    public Task DeleteAsync(string name, bool force = false, CancellationToken ct = default) =>
        api.SendAsync(HttpMethod.Delete, Routes.Secret(product, ResourceNames.RequireSecretName(name)) + (force ? "?force=true" : ""), null, ct);
}

/// <summary><c>/api/products/{product}/keys</c> over HTTP.</summary>
internal sealed class KeysClient(string product, ApiTransport api) : IProductKeys
{
    public Task<ProductKey> CreateAsync(CancellationToken ct = default) =>
        api.SendAsync<ProductKey>(HttpMethod.Post, Routes.Keys(product), null, ct);

    public Task<IReadOnlyList<KeyInfo>> ListAsync(CancellationToken ct = default) =>
        api.SendAsync<IReadOnlyList<KeyInfo>>(HttpMethod.Get, Routes.Keys(product), null, ct);

    public Task RevokeAsync(string id, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        return api.SendAsync(HttpMethod.Delete, Routes.Key(product, id), null, ct);
    }
}

/// <summary><c>/api/products</c> over HTTP.</summary>
internal sealed class ProductsClient(ApiTransport api) : IProducts
{
    public Task<Product> CreateAsync(Product product, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(product);
        return api.SendAsync<Product>(HttpMethod.Post, Routes.Products, product, ct);
    }

    public Task<Product> FetchAsync(string tag, CancellationToken ct = default) =>
        api.SendAsync<Product>(HttpMethod.Get, Routes.Product(ResourceNames.RequireTag(tag, "product tag")), null, ct);

    public async Task<IReadOnlyList<Product>> FetchAllAsync(CancellationToken ct = default) =>
        (await api.SendAsync<Page<Product>>(HttpMethod.Get, Routes.Products, null, ct).ConfigureAwait(false)).Items;

    public Task<Product> UpdateAsync(string tag, ProductUpdate update, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        return api.SendAsync<Product>(HttpMethod.Patch, Routes.Product(ResourceNames.RequireTag(tag, "product tag")), update, ct);
    }

    public Task DeleteAsync(string tag, CancellationToken ct = default) =>
        api.SendAsync(HttpMethod.Delete, Routes.Product(ResourceNames.RequireTag(tag, "product tag")), null, ct);
}

internal static class Query
{
    public static string? Int(int? value) => value?.ToString(CultureInfo.InvariantCulture);

    public static string Of(params (string Name, string? Value)[] values)
    {
        var parts = values.Where(v => v.Value is not null).Select(v => $"{v.Name}={Uri.EscapeDataString(v.Value!)}").ToArray();
        return parts.Length == 0 ? "" : "?" + string.Join('&', parts);
    }
}
