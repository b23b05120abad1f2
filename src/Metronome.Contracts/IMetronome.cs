namespace Metronome.Contracts;

/// <summary>
/// Metronome as code sees it, wherever the engine runs: <c>MetronomeClient</c> implements it over HTTP, an embedded host
/// (<c>services.AddMetronome(...)</c>) implements it in-process. Every failure throws <see cref="MetronomeApiException"/>.
/// </summary>
public interface IMetronome
{
    /// <summary>Products (admin calls on a server: a product key may only fetch its own).</summary>
    IProducts Products { get; }

    /// <summary>The jobs, events, secrets and keys of one product (the seed's <c>ductape.product</c>).</summary>
    IProductApi Product(string product);
}

/// <summary>The APIs of one product.</summary>
public interface IProductApi
{
    /// <summary>The product's tag.</summary>
    string Tag { get; }

    IProductJobs Jobs { get; }
    IProductEvents Events { get; }
    IProductSecrets Secrets { get; }
    IProductKeys Keys { get; }

    /// <summary>
    /// The product's overview over the last <paramref name="minutes"/> minutes (default 60, at most 1440): jobs by status,
    /// runs ended by status, and per minute the runs started, the failures and the p99 lateness.
    /// </summary>
    Task<ProductStats> FetchStatsAsync(int? minutes = null, CancellationToken ct = default);

    /// <summary>
    /// One page of the product's audit log, newest first: who (admin, engine or a key id) changed what, with the fields
    /// that changed; secret values never appear.
    /// </summary>
    /// <param name="limit">Page size, 1–500 (default 50).</param>
    /// <param name="cursor">The previous page's <see cref="Page{T}.NextCursor"/>.</param>
    /// <param name="ct">Cancels the call.</param>
    Task<Page<AuditLogEntry>> AuditAsync(int? limit = null, string? cursor = null, CancellationToken ct = default);
}

/// <summary>
/// The seed's <c>product.jobs</c> interface (<c>create</c>, <c>update</c>, <c>fetch</c>, <c>fetchAll</c>) plus delete,
/// pause, resume, trigger and the run history.
/// </summary>
public interface IProductJobs
{
    /// <summary>Creates a job; 409 when the tag is taken, 400 naming each invalid field.</summary>
    Task<ProductJob> CreateAsync(ProductJob job, CancellationToken ct = default);

    /// <summary>Changes the given fields of a job (<c>null</c> fields stay as they are); takes effect at once.</summary>
    Task<ProductJob> UpdateAsync(string tag, ProductJobUpdate update, CancellationToken ct = default);

    /// <summary>One job by tag; 404 when it does not exist.</summary>
    Task<ProductJob> FetchAsync(string tag, CancellationToken ct = default);

    /// <summary>Every job of the product (all pages, in tag order).</summary>
    Task<IReadOnlyList<ProductJob>> FetchAllAsync(CancellationToken ct = default);

    /// <summary>One page of jobs, optionally of one status (<see cref="JobStatuses"/>).</summary>
    Task<Page<ProductJob>> ListAsync(string? status = null, int? limit = null, string? cursor = null, CancellationToken ct = default);

    /// <summary>Deletes a job: no execution starts after the call returns.</summary>
    Task DeleteAsync(string tag, CancellationToken ct = default);

    /// <summary>Stops a job from firing until resumed.</summary>
    Task<ProductJob> PauseAsync(string tag, CancellationToken ct = default);

    /// <summary>Resumes a paused job at the next grid point after now.</summary>
    Task<ProductJob> ResumeAsync(string tag, CancellationToken ct = default);

    /// <summary>Runs the job once now, outside its grid (slot 0); returns the run just started.</summary>
    Task<JobRun> TriggerAsync(string tag, CancellationToken ct = default);

    /// <summary>
    /// The job's runs, newest first, fetched page by page as the enumeration proceeds (so breaking out early fetches no more).
    /// </summary>
    /// <param name="tag">The job.</param>
    /// <param name="status">Only runs of this status (<see cref="RunStatuses"/>), or all.</param>
    /// <param name="pageSize">Runs fetched per page, 1–1000.</param>
    /// <param name="ct">Cancels the enumeration.</param>
    IAsyncEnumerable<JobRun> RunsAsync(string tag, string? status = null, int pageSize = 100, CancellationToken ct = default);

    /// <summary>One page of the job's runs, newest first.</summary>
    Task<Page<JobRun>> ListRunsAsync(string tag, string? status = null, int? limit = null, string? cursor = null, CancellationToken ct = default);

    /// <summary>One run by id.</summary>
    Task<JobRun> FetchRunAsync(string runId, CancellationToken ct = default);

    /// <summary>One page of the runs of every job of the product, newest first (the failures view).</summary>
    /// <param name="status">A comma list of run statuses (<see cref="RunStatuses"/>), any of which a run may have; null for all.</param>
    /// <param name="job">Only this job's runs; null for every job.</param>
    /// <param name="limit">Page size, 1–1000 (default 100).</param>
    /// <param name="cursor">The previous page's <see cref="Page{T}.NextCursor"/>.</param>
    /// <param name="ct">Cancels the call.</param>
    Task<Page<JobRun>> ListProductRunsAsync(string? status = null, string? job = null, int? limit = null, string? cursor = null, CancellationToken ct = default);

    /// <summary>Stops a job from firing until <paramref name="until"/> (in the future), when it resumes by itself.</summary>
    Task<ProductJob> PauseAsync(string tag, DateTimeOffset until, CancellationToken ct = default);

    /// <summary>
    /// The next five due instants of a schedule not saved yet: a cron expression (with its time zone) or intervals, from
    /// <see cref="SchedulePreviewRequest.StartAt"/> (default now). 400 naming the fields at fault.
    /// </summary>
    Task<SchedulePreview> PreviewScheduleAsync(SchedulePreviewRequest request, CancellationToken ct = default);
    /// <summary>
    /// Runs the job's grid slots due in [<paramref name="from"/>, <paramref name="to"/>) that have no run yet, in slot order,
    /// each with its own slot number and idempotency key (<paramref name="to"/> in the future is cut to now). Returns how many
    /// slots were queued (0 when they all had runs). 400 above 10,000 grid slots in the range; 404 for an unknown job.
    /// </summary>
    Task<JobBackfillResponse> BackfillAsync(string tag, DateTimeOffset from, DateTimeOffset to, CancellationToken ct = default);
    /// <summary>
    /// Declarative apply: makes the product's jobs match <paramref name="jobs"/> (each a create body with its tag). Creates
    /// missing jobs, updates only the fields that differ, and with <paramref name="prune"/> deletes jobs not listed;
    /// unchanged jobs are not written, so applying the same list twice changes nothing. Every job is validated first: a
    /// 400 (errors keyed <c>jobs[i].field</c>) means nothing changed.
    /// </summary>
    /// <param name="jobs">Every job the product should have.</param>
    /// <param name="prune">Also delete the product's jobs that <paramref name="jobs"/> does not list.</param>
    /// <param name="dryRun">Only report what would change.</param>
    /// <param name="ct">Cancels the call.</param>
    Task<JobsApplyResult> ApplyAsync(IReadOnlyList<ProductJob> jobs, bool prune = false, bool dryRun = false, CancellationToken ct = default);
}

/// <summary>The events of a product: what jobs execute, addressed by type and tag.</summary>
public interface IProductEvents
{
    Task<ProductEvent> CreateAsync(ProductEvent ev, CancellationToken ct = default);
    Task<ProductEvent> FetchAsync(string type, string tag, CancellationToken ct = default);
    /// <summary>Every event of the product, optionally of one type (<see cref="JobEventTypes"/>).</summary>
    Task<IReadOnlyList<ProductEvent>> FetchAllAsync(string? type = null, CancellationToken ct = default);
    Task<ProductEvent> UpdateAsync(string type, string tag, ProductEventUpdate update, CancellationToken ct = default);
    /// <summary>Deletes an event; 409 while jobs use it unless <paramref name="force"/> (which pauses those jobs).</summary>
    Task DeleteAsync(string type, string tag, bool force = false, CancellationToken ct = default);
}

/// <summary>Product secrets: write-only, stored encrypted, used in definitions as <c>{{secrets.NAME}}</c>.</summary>
public interface IProductSecrets
{
    Task SetAsync(string name, string value, CancellationToken ct = default);

    /// <summary>The product's secrets by name, with when each was last set; never their values.</summary>
    Task<IReadOnlyList<SecretInfo>> ListAsync(CancellationToken ct = default);

    /// <summary>Deletes a secret; 409 naming the events that use it unless <paramref name="force"/>, 404 when there is none.</summary>
    Task DeleteAsync(string name, bool force = false, CancellationToken ct = default);
}

/// <summary>Product keys (admin only on a server): the key is returned once.</summary>
public interface IProductKeys
{
    Task<ProductKey> CreateAsync(CancellationToken ct = default);

    /// <summary>The product's keys: ids, when each was created and last used; never a key.</summary>
    Task<IReadOnlyList<KeyInfo>> ListAsync(CancellationToken ct = default);

    /// <summary>Revokes a key: every node of the server refuses it within a second, and its dashboard sessions end.</summary>
    Task RevokeAsync(string id, CancellationToken ct = default);
}

/// <summary>Products: the owners of events, jobs, secrets and keys.</summary>
public interface IProducts
{
    Task<Product> CreateAsync(Product product, CancellationToken ct = default);
    Task<Product> FetchAsync(string tag, CancellationToken ct = default);
    Task<IReadOnlyList<Product>> FetchAllAsync(CancellationToken ct = default);
    Task<Product> UpdateAsync(string tag, ProductUpdate update, CancellationToken ct = default);
    Task DeleteAsync(string tag, CancellationToken ct = default);
}
