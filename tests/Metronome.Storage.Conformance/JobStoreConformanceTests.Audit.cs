using Metronome.Core.Audit;
using Metronome.Core.Catalog;
using Metronome.Core.Storage;

namespace Metronome.Storage.Conformance;

public abstract partial class JobStoreConformanceTests
{
    private IAuditLog Audit => Assert.IsAssignableFrom<IAuditLog>(Catalog);

    private static AuditRecord Entry(string target, string product = Product, string action = "job.update", string actor = "admin") =>
        new(product, actor, action, target, new Dictionary<string, AuditChange> { ["name"] = new("\"old\"", "\"new\"") }, At(1)) { Reason = null };

    [Fact]
    public async Task Audit_entries_are_appended_and_read_back_newest_first_with_their_fields()
    {
        var first = new AuditRecord(Product, "key-1", "job.pause", "nightly",
            new Dictionary<string, AuditChange> { ["status"] = new("\"active\"", "\"paused\""), ["input"] = new(null, """{"a":[1,2]}""") }, At(5))
        { Reason = "3 consecutive slots ended without success" };
        await Audit.RecordAsync(first, default);
        await Audit.RecordAsync(Entry("second"), default);

        var entries = await Audit.ListAuditAsync(Product, 10, null, default);
        Assert.Equal(["second", "nightly"], entries.Select(e => e.Record.Target));
        Assert.True(entries[0].Id > entries[1].Id);
        var read = entries[1].Record;
        Assert.Equal((first.Product, first.Actor, first.Action, first.Target, first.At, first.Reason), (read.Product, read.Actor, read.Action, read.Target, read.At, read.Reason));
        Assert.Equal(["input", "status"], read.Changes.Keys.Order());
        Assert.Equal(new AuditChange("\"active\"", "\"paused\""), read.Changes["status"]);
        Assert.Null(read.Changes["input"].OldJson);
        Assert.Equal("""{"a":[1,2]}""", read.Changes["input"].NewJson);
    }

    [Fact]
    public async Task A_batch_of_audit_entries_is_appended_in_order_with_each_entrys_own_fields()
    {
        await Audit.RecordBatchAsync([Entry("b0"), Entry("b1", action: "job.create", actor: "key-7"), Entry("b2")], default);
        await Audit.RecordBatchAsync([], default);

        var entries = await Audit.ListAuditAsync(Product, 10, null, default);
        Assert.Equal(["b2", "b1", "b0"], entries.Select(e => e.Record.Target));
        Assert.Equal(("job.create", "key-7"), (entries[1].Record.Action, entries[1].Record.Actor));
        Assert.All(entries, e => Assert.Equal(new AuditChange("\"old\"", "\"new\""), e.Record.Changes["name"]));
    }

    [Fact]
    public async Task Audit_pages_continue_below_the_last_entry_read()
    {
        for (int i = 0; i < 5; i++) await Audit.RecordAsync(Entry($"t{i}"), default);

        var page1 = await Audit.ListAuditAsync(Product, 2, null, default);
        var page2 = await Audit.ListAuditAsync(Product, 2, page1[^1].Id, default);
        var page3 = await Audit.ListAuditAsync(Product, 2, page2[^1].Id, default);
        Assert.Equal(["t4", "t3"], page1.Select(e => e.Record.Target));
        Assert.Equal(["t2", "t1"], page2.Select(e => e.Record.Target));
        Assert.Equal(["t0"], page3.Select(e => e.Record.Target));
        Assert.Empty(await Audit.ListAuditAsync(Product, 2, page3[^1].Id, default));
    }

    [Fact]
    public async Task Audit_logs_are_kept_per_product_and_go_with_their_product()
    {
        await Catalog.CreateProductAsync(new ProductRecord { Tag = "other", Name = "Other", CreatedAt = Start, UpdatedAt = Start }, default);
        await Audit.RecordAsync(Entry("mine"), default);
        await Audit.RecordAsync(Entry("theirs", product: "other"), default);

        Assert.Equal(["mine"], (await Audit.ListAuditAsync(Product, 10, null, default)).Select(e => e.Record.Target));
        Assert.Equal(["theirs"], (await Audit.ListAuditAsync("other", 10, null, default)).Select(e => e.Record.Target));

        await Catalog.DeleteProductAsync("other", default);
        Assert.Empty(await Audit.ListAuditAsync("other", 10, null, default));
        Assert.Single(await Audit.ListAuditAsync(Product, 10, null, default));
    }

    [Fact]
    public async Task Keys_are_listed_without_hashes_marked_used_and_revoked()
    {
        await Catalog.AddKeyAsync(new ProductKeyRecord("k1", Product, "hash-1", At(1)), default);
        await Catalog.AddKeyAsync(new ProductKeyRecord("k2", Product, "hash-2", At(2)), default);

        Assert.Equal([new KeyEntry("k1", At(1), null), new KeyEntry("k2", At(2), null)], await Catalog.ListKeysAsync(Product, default));
        await Catalog.MarkKeyUsedAsync("k2", At(10), default);
        await Catalog.MarkKeyUsedAsync("k2", At(5), default); // an older stamp never moves it back
        await Catalog.MarkKeyUsedAsync("gone", At(10), default);
        Assert.Equal(At(10), (await Catalog.ListKeysAsync(Product, default)).Single(k => k.Id == "k2").LastUsedAt);

        Assert.False(await Catalog.DeleteKeyAsync("other-product", "k1", default));
        Assert.True(await Catalog.DeleteKeyAsync(Product, "k1", default));
        Assert.False(await Catalog.DeleteKeyAsync(Product, "k1", default));
        Assert.Null(await Catalog.FindKeyByHashAsync("hash-1", default));
        Assert.Equal(["k2"], (await Catalog.ListKeysAsync(Product, default)).Select(k => k.Id));
    }

    [Fact]
    public async Task A_deleted_secret_is_gone_from_the_list_and_the_values()
    {
        await Catalog.PutSecretAsync(Product, "A", "enc-a", default);
        await Catalog.PutSecretAsync(Product, "B", "enc-b", default);

        Assert.True(await Catalog.DeleteSecretAsync(Product, "A", default));
        Assert.False(await Catalog.DeleteSecretAsync(Product, "A", default));
        Assert.Equal(["B"], (await Catalog.ListSecretsAsync(Product, default)).Select(s => s.Name));
        Assert.Equal(["B"], (await Catalog.GetSecretsAsync(Product, default)).Keys);
    }
}
