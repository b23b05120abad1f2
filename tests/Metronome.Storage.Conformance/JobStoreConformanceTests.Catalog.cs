using Metronome.Core;
using Metronome.Core.Catalog;
using Metronome.Core.Jobs;
using Metronome.Core.Runs;
using Metronome.Core.Storage;

namespace Metronome.Storage.Conformance;

public abstract partial class JobStoreConformanceTests
{
    [Fact]
    public async Task Migrating_twice_is_idempotent_and_keeps_data()
    {
        var job = await CreateAsync(NewJob("keep-me"));

        await Jobs.MigrateAsync(default);
        await Jobs.MigrateAsync(default);

        Assert.Equal(job, await ReloadAsync(job));
        Assert.NotNull(await Catalog.GetProductAsync(Product, default));
    }

    [Fact]
    public async Task A_product_keeps_its_max_concurrency_through_create_update_and_list()
    {
        var noisy = new ProductRecord { Tag = "noisy", Name = "Noisy", MaxConcurrency = 8, CreatedAt = At(1), UpdatedAt = At(1) };
        Assert.Equal(noisy, await Catalog.CreateProductAsync(noisy, default));
        Assert.Equal(8, (await Catalog.GetProductAsync("noisy", default))!.MaxConcurrency);
        Assert.Null((await Catalog.GetProductAsync(Product, default))!.MaxConcurrency); // not set: the server's default

        Assert.True(await Catalog.UpdateProductAsync(noisy with { MaxConcurrency = 10_000, UpdatedAt = At(2) }, default));
        Assert.Equal(10_000, (await Catalog.GetProductAsync("noisy", default))!.MaxConcurrency);
        Assert.Equal(10_000, (await Catalog.ListProductsAsync(default)).Single(p => p.Tag == "noisy").MaxConcurrency);

        Assert.True(await Catalog.UpdateProductAsync(noisy with { MaxConcurrency = null, UpdatedAt = At(3) }, default));
        Assert.Null((await Catalog.GetProductAsync("noisy", default))!.MaxConcurrency);
    }

    [Fact]
    public async Task Products_are_created_listed_updated_and_read()
    {
        var billing = new ProductRecord { Tag = "billing", Name = "Billing", Description = "money", CreatedAt = At(1), UpdatedAt = At(1) };
        Assert.Equal(billing, await Catalog.CreateProductAsync(billing, default));

        Assert.Equal(["billing", Product], (await Catalog.ListProductsAsync(default)).Select(p => p.Tag));
        Assert.True(await Catalog.UpdateProductAsync(billing with { Name = "Payments", Description = null, UpdatedAt = At(2) }, default));
        Assert.Equal(billing with { Name = "Payments", Description = null, UpdatedAt = At(2) }, await Catalog.GetProductAsync("billing", default));
        Assert.False(await Catalog.UpdateProductAsync(billing with { Tag = "nope" }, default));
        Assert.Null(await Catalog.GetProductAsync("nope", default));
    }

    [Fact]
    public async Task Creating_a_product_with_a_taken_tag_conflicts()
    {
        var again = new ProductRecord { Tag = Product, Name = "Again", CreatedAt = Start, UpdatedAt = Start };

        var e = await Assert.ThrowsAsync<ConflictException>(() => Catalog.CreateProductAsync(again, default));
        Assert.Contains("'shop'", e.Message);
    }

    [Fact]
    public async Task Deleting_a_product_removes_its_catalogue_jobs_and_runs()
    {
        await Catalog.AddKeyAsync(new ProductKeyRecord("k1", Product, "hash-1", Start), default);
        await Catalog.PutSecretAsync(Product, "TOKEN", "enc", default);
        var a = await CreateAsync(NewJob("a"));
        var b = await CreateAsync(NewJob("b"));
        var claimed = await ClaimAsync(At(1), a.Id);

        var deleted = await Catalog.DeleteProductAsync(Product, default);

        Assert.Equal([a.Id, b.Id], deleted);
        Assert.Null(await Catalog.GetProductAsync(Product, default));
        Assert.Null(await Catalog.FindKeyByHashAsync("hash-1", default));
        Assert.Empty(await Catalog.GetSecretsAsync(Product, default));
        Assert.Empty(await Catalog.ListEventsAsync(Product, null, default));
        Assert.Null(await Jobs.GetJobAsync(Product, "a", default));
        Assert.Null(await Jobs.GetRunAsync(Product, claimed.Runs[0].Run.Id, default));
        Assert.Null(await Catalog.DeleteProductAsync(Product, default));
    }

    [Fact]
    public async Task A_product_recreated_with_the_same_tag_sees_nothing_of_the_deleted_one()
    {
        await Catalog.AddKeyAsync(new ProductKeyRecord("old-key", Product, "old-hash", Start), default);
        await Catalog.PutSecretAsync(Product, "TOKEN", "enc", default);
        var old = await CreateAsync(NewJob("a"));
        var claimed = await ClaimAsync(At(1), old.Id);
        var oldRun = claimed.Runs[0].Run.Id;
        await Jobs.TriggerJobAsync(new TriggerParams(Product, "a", Node, At(1), RunKeys.NewId(Time)), default);
        await Catalog.DeleteProductAsync(Product, default);

        await Catalog.CreateProductAsync(new ProductRecord { Tag = Product, Name = "Shop again", CreatedAt = At(2), UpdatedAt = At(2) }, default);
        await Catalog.CreateEventAsync(NewEvent("action", "ping"), default);
        var again = await CreateAsync(NewJob("a"));

        Assert.NotEqual(old.Id, again.Id);
        Assert.Empty((await Jobs.ListRunsAsync(new RunQuery(Product, "a", null, 100, null), default)).Items);
        Assert.Empty((await Jobs.ListRunsAsync(new RunQuery(Product, null, null, 100, null), default)).Items);
        Assert.Null(await Jobs.GetRunAsync(Product, oldRun, default));
        Assert.Null(await Catalog.FindKeyByHashAsync("old-hash", default));
        Assert.Empty(await Catalog.GetSecretsAsync(Product, default));
        Assert.Equal(["ping"], (await Catalog.ListEventsAsync(Product, null, default)).Select(e => e.Tag));
        Assert.Equal(0, (await Jobs.GetJobAsync(Product, "a", default))!.ExecutionsDone);
    }

    [Fact]
    public async Task Product_keys_are_found_by_hash_only()
    {
        var key = new ProductKeyRecord("key-1", Product, "sha256-abc", At(3));
        await Catalog.AddKeyAsync(key, default);

        Assert.Equal(key, await Catalog.FindKeyByHashAsync("sha256-abc", default));
        Assert.Null(await Catalog.FindKeyByHashAsync("sha256-xyz", default));
        await Assert.ThrowsAsync<ConflictException>(() => Catalog.AddKeyAsync(key with { Id = "key-2" }, default));
    }

    [Fact]
    public async Task Secrets_are_stored_replaced_and_read_per_product()
    {
        await Catalog.CreateProductAsync(new ProductRecord { Tag = "other", Name = "Other", CreatedAt = Start, UpdatedAt = Start }, default);
        await Catalog.PutSecretAsync(Product, "A", "1", default);
        await Catalog.PutSecretAsync(Product, "B", "2", default);
        await Catalog.PutSecretAsync(Product, "A", "3", default);
        await Catalog.PutSecretAsync("other", "A", "x", default);

        var secrets = await Catalog.GetSecretsAsync(Product, default);

        Assert.Equal(new Dictionary<string, string> { ["A"] = "3", ["B"] = "2" }, secrets);
    }

    [Fact]
    public async Task Events_are_created_read_listed_by_type_and_updated()
    {
        var hook = NewEvent("notification", "hook");
        Assert.Equal(hook, await Catalog.CreateEventAsync(hook, default));

        Assert.Equal(hook, await Catalog.GetEventAsync(Product, "notification", "hook", default));
        Assert.Null(await Catalog.GetEventAsync(Product, "action", "hook", default));
        Assert.Equal(["action/ping", "notification/hook"], (await Catalog.ListEventsAsync(Product, null, default)).Select(e => $"{e.Type}/{e.Tag}"));
        Assert.Equal(["hook"], (await Catalog.ListEventsAsync(Product, "notification", default)).Select(e => e.Tag));

        var changed = hook with { Name = "Hook 2", DefinitionJson = """{"channel":"webhook"}""", UpdatedAt = At(5) };
        Assert.True(await Catalog.UpdateEventAsync(changed, default));
        Assert.Equal(changed, await Catalog.GetEventAsync(Product, "notification", "hook", default));
        Assert.False(await Catalog.UpdateEventAsync(changed with { Tag = "missing" }, default));
    }

    [Fact]
    public async Task Creating_an_event_with_a_taken_type_and_tag_conflicts()
    {
        var e = await Assert.ThrowsAsync<ConflictException>(() => Catalog.CreateEventAsync(NewEvent("action", "ping"), default));
        Assert.Contains("action/ping", e.Message);

        await Catalog.CreateEventAsync(NewEvent("function", "ping"), default); // another type: no conflict
    }

    [Fact]
    public async Task Deleting_an_event_used_by_jobs_conflicts_without_force()
    {
        await CreateAsync(NewJob("uses-ping"));

        var e = await Assert.ThrowsAsync<ConflictException>(() => Catalog.DeleteEventAsync(Product, "action", "ping", false, At(1), default));

        Assert.Contains("used by 1 job(s): uses-ping", e.Message);
        Assert.Contains("force=true", e.Message);
        Assert.NotNull(await Catalog.GetEventAsync(Product, "action", "ping", default));
    }

    [Fact]
    public async Task Deleting_an_event_with_force_pauses_the_jobs_using_it()
    {
        var a = await CreateAsync(NewJob("a"));
        var b = await CreateAsync(NewJob("b"));
        await Catalog.CreateEventAsync(NewEvent("action", "other"), default);
        var c = await CreateAsync(NewJob("c") with { EventTag = "other" });

        var paused = await Catalog.DeleteEventAsync(Product, "action", "ping", true, At(7), default);

        Assert.Equal([a.Id, b.Id], paused);
        Assert.Null(await Catalog.GetEventAsync(Product, "action", "ping", default));
        var reloaded = await ReloadAsync(a);
        Assert.Equal(JobStatus.Paused, reloaded.Status);
        Assert.Equal(At(7), reloaded.UpdatedAt);
        Assert.Equal(JobStatus.Active, (await ReloadAsync(c)).Status);
    }

    [Fact]
    public async Task Deleting_a_missing_event_returns_null()
    {
        Assert.Null(await Catalog.DeleteEventAsync(Product, "action", "missing", true, Start, default));
        Assert.Equal(Array.Empty<long>(), await Catalog.DeleteEventAsync(Product, "action", "ping", false, Start, default));
    }

    [Fact]
    public async Task Load_schedule_lists_active_jobs_with_executions_left()
    {
        var active = await CreateAsync(NewJob("active"));
        await CreateAsync(NewJob("paused") with { Status = JobStatus.Paused });
        await CreateAsync(NewJob("completed") with { Status = JobStatus.Completed });
        await CreateAsync(NewJob("exhausted", executions: 2) with { ExecutionsDone = 2 });

        var schedule = await Jobs.LoadScheduleAsync(default);

        Assert.Equal([new ScheduleEntry(active.Id, At(1))], schedule);
    }
}
