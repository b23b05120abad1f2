using System.Net.Http.Headers;
using System.Net.Http.Json;
using Metronome.Contracts;
using Npgsql;

namespace Metronome.Load;

/// <summary>What the cluster scenarios share: the load's jobs created over the nodes' APIs, and scalar reads of the database.</summary>
internal static class ClusterJobs
{
    /// <summary>A client of a node's API with the admin key; a long timeout, since bulk creates on a loaded machine are slow.</summary>
    public static HttpClient Client(Uri url, string adminKey)
    {
        var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(120) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        return http;
    }

    /// <summary>
    /// Product <c>shop</c>, the event <paramref name="ev"/> (an anonymous object: type, tag "hit", name, definition) and
    /// <paramref name="jobs"/> unlimited jobs <c>load-00000</c>… of it every <paramref name="interval"/> ms from now, created in
    /// bulk (1,000 a request) spread over the nodes' APIs.
    /// </summary>
    public static async Task CreateAsync(IReadOnlyList<HttpClient> clients, object ev, string eventType, int jobs, int interval)
    {
        (await clients[0].PostAsJsonAsync(Routes.Products, new Product { Tag = "shop", Name = "Shop" }, MetronomeJson.Options)).EnsureSuccessStatusCode();
        (await clients[0].PostAsJsonAsync(Routes.Events("shop"), ev)).EnsureSuccessStatusCode();
        var batches = Enumerable.Range(0, jobs).Chunk(1000).ToList();
        for (int b = 0; b < batches.Count; b++)
        {
            var items = batches[b].Select(i => new ProductJob
            {
                Name = $"Load {i}", Tag = $"load-{i:D5}", EventType = eventType, EventTag = "hit",
                Executions = 0, Intervals = interval, StartAt = "now",
            });
            using var response = await clients[b % clients.Count].PostAsJsonAsync(Routes.Jobs("shop") + ":bulk", new { items }, MetronomeJson.Options);
            response.EnsureSuccessStatusCode();
        }
    }

    public static async Task<T> ScalarAsync<T>(string connection, string sql)
    {
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, db);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }
}
