using System.Runtime.Versioning;
using System.Net;
using Metronome.Contracts;

namespace Metronome.Security.Tests.Api;

/// <summary>
/// Attack 14: <c>/healthz</c> answered 200 while the database was read-only, and creates answered 201 after the data
/// directory was deleted (and were lost on restart). Each test breaks its own server, so each has its own process.
/// </summary>
[UnsupportedOSPlatform("windows")]
public abstract class StoreHealthTests : IAsyncLifetime
{
    protected HostileServer Server { get; } = new();

    public Task InitializeAsync() => Server.InitializeAsync();

    public Task DisposeAsync() => Server.DisposeAsync();

    protected string DatabasePath => Path.Combine(Server.DataDirectory, "metronome.db");

    /// <summary>Polls <c>/healthz</c> until it answers <paramref name="expected"/> (the probe is cached for about a second).</summary>
    protected async Task<HttpResponseMessage> WaitForHealthAsync(HttpStatusCode expected)
    {
        using var http = Server.Client(null);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            var response = await http.GetAsync("/healthz");
            if (response.StatusCode == expected || DateTime.UtcNow > deadline) return response;
            await Task.Delay(100);
        }
    }

    protected static string Job(string tag) =>
        $$"""{"name":"{{tag}}","tag":"{{tag}}","event_type":"function","event_tag":"f","executions":1,"intervals":60000}""";

    protected async Task<Tenant> TenantAsync()
    {
        var tenant = await Server.CreateTenantAsync("health");
        await tenant.CreateEventAsync("function", "f", new { language = "javascript", code = "function handler(){ return 1; }" });
        return tenant;
    }
}

[UnsupportedOSPlatform("windows")]
public sealed class ReadOnlyDatabaseHealthTests : StoreHealthTests
{
    [Fact]
    public async Task A_read_only_database_makes_healthz_answer_503_and_refuses_writes_until_it_is_writable_again()
    {
        var tenant = await TenantAsync();
        Assert.Equal(HttpStatusCode.OK, (await WaitForHealthAsync(HttpStatusCode.OK)).StatusCode);

        File.SetUnixFileMode(DatabasePath, UnixFileMode.UserRead);
        var health = await WaitForHealthAsync(HttpStatusCode.ServiceUnavailable);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Contains("read-only", await health.Content.ReadAsStringAsync());
        var create = await tenant.PostJsonAsync(Routes.Jobs(tenant.Product), Job("while-read-only"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, create.StatusCode);
        Assert.Equal("application/problem+json", create.Content.Headers.ContentType?.MediaType);

        File.SetUnixFileMode(DatabasePath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.Equal(HttpStatusCode.OK, (await WaitForHealthAsync(HttpStatusCode.OK)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await tenant.PostJsonAsync(Routes.Jobs(tenant.Product), Job("after"))).StatusCode);
    }
}

[UnsupportedOSPlatform("windows")]
public sealed class DeletedDataDirectoryHealthTests : StoreHealthTests
{
    [Fact]
    public async Task A_deleted_data_directory_makes_healthz_answer_503_and_a_create_is_not_acknowledged()
    {
        var tenant = await TenantAsync();
        Assert.Equal(HttpStatusCode.OK, (await WaitForHealthAsync(HttpStatusCode.OK)).StatusCode);

        Directory.Delete(Server.DataDirectory, recursive: true);
        var health = await WaitForHealthAsync(HttpStatusCode.ServiceUnavailable);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        var create = await tenant.PostJsonAsync(Routes.Jobs(tenant.Product), Job("lost"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, create.StatusCode);
        // Recreating the directory does not bring the old file back: the server keeps refusing until restarted.
        Directory.CreateDirectory(Server.DataDirectory);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await tenant.PostJsonAsync(Routes.Jobs(tenant.Product), Job("lost2"))).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await Server.Client(null).GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task A_database_file_replaced_under_the_server_makes_healthz_answer_503()
    {
        await TenantAsync();
        var moved = DatabasePath + ".moved";

        File.Move(DatabasePath, moved);
        File.WriteAllBytes(DatabasePath, []);
        var health = await WaitForHealthAsync(HttpStatusCode.ServiceUnavailable);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Contains("replaced", await health.Content.ReadAsStringAsync());
    }
}
