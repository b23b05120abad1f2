using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Metronome.Contracts;
using Metronome.Testing;

namespace Metronome.Security.Tests;

/// <summary>
/// A real Metronome server process on a free loopback port with a fresh data directory, and helpers to act as the
/// admin or as a tenant holding an ordinary product key. Shared by the tests of one class (xUnit class fixture);
/// each test creates its own products, so tests never see each other's data.
/// </summary>
public class HostileServer : IAsyncLifetime
{
    public const string AdminKey = "security-tests-admin-key-0123456789";
    private ServerProcess? _process;

    /// <summary>Extra environment for the server process (e.g. <c>METRONOME_SQLITE_ROOT</c>); override in a subclass.</summary>
    protected virtual IDictionary<string, string> Environment => new Dictionary<string, string>();

    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("metronome-security-").FullName;
    public ServerProcess Process => _process ?? throw new InvalidOperationException("not started");
    public Uri BaseAddress => Process.BaseAddress;
    public HttpClient Admin { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        _process = await ServerProcess.StartAsync("security", DataDirectory, AdminKey, Environment);
        Admin = Client(AdminKey);
    }

    public virtual async Task DisposeAsync()
    {
        Admin?.Dispose();
        if (_process is not null) await _process.DisposeAsync();
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>An HTTP client of the server carrying <paramref name="key"/> as its bearer key.</summary>
    public HttpClient Client(string? key)
    {
        var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (key is not null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http;
    }

    /// <summary>Creates a product with a unique tag (prefix + random suffix) and returns a tenant holding its key.</summary>
    public async Task<Tenant> CreateTenantAsync(string prefix)
    {
        var tag = $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 100)];
        await Tenant.EnsureAsync(await Admin.PostAsJsonAsync(Routes.Products, new { tag, name = prefix }));
        var key = await Tenant.ReadAsync<ProductKey>(await Admin.PostAsync(Routes.Keys(tag), null));
        return new Tenant(tag, Client(key.Key!));
    }

    /// <summary>True when the server process is alive and answers <c>/healthz</c>.</summary>
    public async Task<bool> IsAliveAsync()
    {
        if (Process.HasExited) return false;
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        try { return (await http.GetAsync("/healthz")).StatusCode == HttpStatusCode.OK; }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { return false; }
    }
}

/// <summary>A product and an HTTP client carrying that product's key.</summary>
public sealed record Tenant(string Product, HttpClient Http)
{
    /// <summary>POSTs raw JSON (so that tests can send exactly the bytes an attacker would).</summary>
    public Task<HttpResponseMessage> PostJsonAsync(string path, string json) =>
        Http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    public async Task CreateEventAsync(string type, string tag, object definition) =>
        await EnsureAsync(await Http.PostAsJsonAsync(Routes.Events(Product), new { type, tag, name = tag, definition }));

    public async Task<ProductJob> CreateJobAsync(string tag, string eventType, string eventTag, long executions = 1, long intervals = 100,
        object? input = null, long? timeoutMs = null) =>
        await ReadAsync<ProductJob>(await Http.PostAsJsonAsync(Routes.Jobs(Product), new Dictionary<string, object?>
        {
            ["name"] = tag, ["tag"] = tag, ["event_type"] = eventType, ["event_tag"] = eventTag, ["executions"] = executions,
            ["intervals"] = intervals, ["start_at"] = "now", ["input"] = input ?? new { }, ["timeout_ms"] = timeoutMs,
        }.Where(kv => kv.Value is not null).ToDictionary()));

    /// <summary>The job's runs, newest first.</summary>
    public async Task<IReadOnlyList<JobRun>> RunsAsync(string job) =>
        (await ReadAsync<Page<JobRun>>(await Http.GetAsync(Routes.JobRuns(Product, job) + "?limit=1000"))).Items;

    /// <summary>
    /// Waits (polling the API) until the job has at least <paramref name="count"/> finished executions; returns them. A
    /// <c>skipped</c> record is not an execution: a node that claims a job late sheds the earlier slots of its grid as one
    /// skipped run and fires the latest (docs/jobs.md), which a loaded test machine does now and then.
    /// </summary>
    public async Task<IReadOnlyList<JobRun>> WaitForFinishedRunsAsync(string job, int count, TimeSpan? patience = null)
    {
        var deadline = DateTime.UtcNow + (patience ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var runs = (await RunsAsync(job)).Where(r => r.Status is not (RunStatuses.Running or RunStatuses.Skipped)).ToList();
            if (runs.Count >= count) return runs;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"job {job} of {Product} has {runs.Count} finished runs, expected {count}");
            await Task.Delay(100);
        }
    }

    public static async Task EnsureAsync(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"{(int)response.StatusCode} {response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {await response.Content.ReadAsStringAsync()}");
    }

    public static async Task<T> ReadAsync<T>(HttpResponseMessage response)
    {
        await EnsureAsync(response);
        return (await response.Content.ReadFromJsonAsync<T>(MetronomeJson.Options))!;
    }

    /// <summary>The <c>errors</c> map of a 400 problem, as field → messages.</summary>
    public static async Task<JsonObject> ProblemErrorsAsync(HttpResponseMessage response) =>
        (JsonNode.Parse(await response.Content.ReadAsStringAsync())?["errors"] as JsonObject) ?? new JsonObject();
}
