using System.Text.Json;
using Metronome.Contracts;
using Metronome.Core.Catalog;
using Metronome.Core.Engine;
using Metronome.Core.Execution;
using Metronome.Core.Storage;
using Metronome.Storage.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Metronome.Core.Tests.Catalog;

public sealed class CatalogServiceTests
{
    [Fact]
    public async Task Event_type_without_an_executor_in_this_process_is_rejected_naming_type()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        await using var store = new SqliteJobStore(new SqliteStoreOptions { DatabasePath = Path.Combine(Path.GetTempPath(), $"catalog-{Guid.NewGuid():N}.db") }, time);
        await store.MigrateAsync(CancellationToken.None);
        // This process runs only the action executor: a notification event cannot be executed here.
        var catalog = new CatalogService(store, store, new NoEngine(), new ReversingProtector(), [new ActionOnly()], time);
        await catalog.CreateProductAsync(new Product { Tag = "shop", Name = "Shop" });

        var ex = await Assert.ThrowsAsync<ValidationFailedException>(() => catalog.CreateEventAsync("shop", new ProductEvent
        {
            Type = "notification", Tag = "mail", Name = "Mail", Definition = JsonSerializer.SerializeToElement(new { channel = "email" }),
        }));

        Assert.Contains("not available on this server", ex.Errors["type"][0]);
    }

    private sealed class ActionOnly : IEventExecutor
    {
        public string EventType => "action";
        public void Validate(JsonElement definition, ValidationErrors errors) { }
        public Task<ExecutionOutcome> ExecuteAsync(Execution.ExecutionContext context, CancellationToken ct) => Task.FromResult(ExecutionOutcome.Success());
    }

    private sealed class NoEngine : IEngineSignal
    {
        public void Reschedule(ScheduleEntry entry) { }
        public void Cancel(long jobId) { }
        public void Dispatch(ClaimedRun run) { }
        public void CatalogChanged(string product) { }
    }

    private sealed class ReversingProtector : ISecretProtector
    {
        public string Protect(string plaintext) => new(plaintext.Reverse().ToArray());
        public string Unprotect(string protectedValue) => new(protectedValue.Reverse().ToArray());
    }
}
