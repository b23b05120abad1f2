using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Metronome.Contracts;
using Metronome.Testing;
using Xunit.Abstractions;

namespace Metronome.Kiota.Tests;

/// <summary>
/// The complaint, turned into a test: a Kiota client of the served document used to come out as nullable strings
/// with no error mapping. Generated now from <c>/openapi/v1.json</c> of a real server process, it compiles against the
/// types the document declares, creates and lists jobs, and a refused call arrives as the generated problem exception
/// carrying the field errors.
/// </summary>
public sealed class KiotaClientTests(ITestOutputHelper log) : IAsyncLifetime
{
    private const string AdminKey = "kiota-tests-admin-key-0123456789abcdef";
    private readonly string _work = Directory.CreateTempSubdirectory("metronome-kiota-").FullName;
    private ServerProcess? _server;

    public async Task InitializeAsync() =>
        _server = await ServerProcess.StartAsync("kiota", Path.Combine(_work, "data"), AdminKey);

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
        try { Directory.Delete(_work, recursive: true); }
        catch (IOException) { }
    }

    [Fact]
    public async Task A_kiota_client_of_the_served_document_creates_and_lists_jobs_typed_and_maps_errors_to_problem_types()
    {
        var server = _server!;
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        await Send(http, HttpMethod.Post, Routes.Products, new Product { Tag = "shop", Name = "Shop" });
        var definition = JsonSerializer.SerializeToElement(new { method = "POST", url = "http://127.0.0.1:9/never-called" });
        await Send(http, HttpMethod.Post, Routes.Events("shop"), new ProductEvent { Type = "action", Tag = "export", Name = "Export", Definition = definition });
        var document = Path.Combine(_work, "openapi.json");
        await File.WriteAllTextAsync(document, await http.GetStringAsync("/openapi/v1.json"));

        var client = await GeneratedClient.BuildAsync(document, _work);
        foreach (var (step, took) in client.Timings) log.WriteLine($"{step}: {took.TotalSeconds:F1} s");
        var lines = await client.RunAsync(server.BaseAddress.ToString(), AdminKey, "shop", "export");
        foreach (var line in lines) log.WriteLine(line);

        var created = Line(lines, "created").Split(' ');
        Assert.Equal(["created", "kiota-job", "Action", "Active", "3600000", "0", "Skip", "Skip", "3"], created[..9]);
        Assert.True(DateTimeOffset.TryParse(created[9], out _));
        Assert.Equal("listed 1 kiota-job:Action:3600000", Line(lines, "listed"));
        // Both invalid fields come back by name, in the generated validation problem type.
        Assert.Equal("invalid 400 400 executions,intervals", Line(lines, "invalid"));
        Assert.Equal("conflict 409 Conflict", Line(lines, "conflict"));
        Assert.Equal("missing 404 Not Found trace", Line(lines, "missing"));

        // What the client sent is what the server keeps.
        var job = await http.GetFromJsonAsync<ProductJob>(Routes.Job("shop", "kiota-job"), MetronomeJson.Options);
        Assert.Equal(("Nightly export", "skip", 3), (job!.Name, job.Misfire, job.Retries!.MaxAttempts));
    }

    private static string Line(string[] lines, string prefix) =>
        lines.SingleOrDefault(l => l.StartsWith(prefix + " ", StringComparison.Ordinal)) ?? throw new Xunit.Sdk.XunitException(
            $"no '{prefix}' line in:\n{string.Join('\n', lines)}");

    private static async Task Send<T>(HttpClient http, HttpMethod method, string path, T body)
    {
        using var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body, options: MetronomeJson.Options) };
        var response = await http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
