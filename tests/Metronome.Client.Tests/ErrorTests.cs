using System.Net;
using System.Text.Json;
using Metronome.Client.Tests.Infrastructure;
using Metronome.Contracts;
using Metronome.Testing.Processes;

namespace Metronome.Client.Tests;

/// <summary>Each kind of failure surfaces as a <see cref="MetronomeApiException"/> with the status and the problem details.</summary>
[Collection(ServerCollection.Name)]
public sealed class ErrorTests(ServerFixture fixture)
{
    [Fact]
    public async Task Invalid_fields_throw_400_naming_each_field()
    {
        var jobs = fixture.Admin.Product(await fixture.CreateProductAsync()).Jobs;

        var e = await Assert.ThrowsAsync<MetronomeApiException>(() => jobs.CreateAsync(new ProductJob
        {
            Name = "Bad", Tag = "Not A Tag", EventType = "teleport", EventTag = "x", Executions = -1, Intervals = 0,
        }));

        Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
        Assert.Contains("tag", e.Errors.Keys);
        Assert.Contains("event_type", e.Errors.Keys);
        Assert.Contains("executions", e.Errors.Keys);
        Assert.Contains("intervals", e.Errors.Keys);
        Assert.All(e.Errors.Values, messages => Assert.NotEmpty(messages));
        Assert.Contains("intervals", e.Message);
    }

    [Fact]
    public async Task A_job_naming_a_missing_event_throws_400_on_event_tag()
    {
        var jobs = fixture.Admin.Product(await fixture.CreateProductAsync()).Jobs;

        var e = await Assert.ThrowsAsync<MetronomeApiException>(() => jobs.CreateAsync(new ProductJob
        {
            Name = "J", Tag = "j", EventType = "action", EventTag = "missing", Executions = 1, Intervals = 60_000,
        }));

        Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
        Assert.Contains("missing", Assert.Single(e.Errors["event_tag"]));
    }

    [Fact]
    public async Task A_wrong_key_throws_401()
    {
        var product = await fixture.CreateProductAsync();
        using var client = fixture.Client("mk_not-a-real-key");

        var e = await Assert.ThrowsAsync<MetronomeApiException>(() => client.Product(product).Jobs.FetchAllAsync());

        Assert.Equal(HttpStatusCode.Unauthorized, e.StatusCode);
        Assert.False(string.IsNullOrEmpty(e.Detail));
    }

    [Fact]
    public async Task No_key_throws_401()
    {
        using var client = fixture.Client(null);

        var e = await Assert.ThrowsAsync<MetronomeApiException>(() => client.Products.FetchAllAsync());

        Assert.Equal(HttpStatusCode.Unauthorized, e.StatusCode);
    }

    [Fact]
    public async Task An_admin_call_with_a_product_key_throws_403()
    {
        var product = await fixture.CreateProductAsync();
        var key = await fixture.Admin.Product(product).Keys.CreateAsync();
        using var client = fixture.Client(key.Key);

        var e = await Assert.ThrowsAsync<MetronomeApiException>(() => client.Products.CreateAsync(new Product { Tag = "x", Name = "X" }));

        Assert.Equal(HttpStatusCode.Forbidden, e.StatusCode);
        Assert.Equal("This call needs the admin key.", e.Detail);
    }

    [Fact]
    public async Task A_missing_job_throws_404_naming_job_and_product()
    {
        var product = await fixture.CreateProductAsync();

        var e = await Assert.ThrowsAsync<MetronomeApiException>(() => fixture.Admin.Product(product).Jobs.FetchAsync("nope"));

        Assert.Equal(HttpStatusCode.NotFound, e.StatusCode);
        Assert.Equal($"job 'nope' not found in product '{product}'", e.Detail);
        Assert.Equal(e.Detail, e.Message);
        Assert.Empty(e.Errors);
    }

    [Fact]
    public async Task A_taken_tag_throws_409()
    {
        var jobs = fixture.Admin.Product(await fixture.CreateProductAsync()).Jobs;
        var job = new ProductJob { Name = "J", Tag = "twice", EventType = "action", EventTag = "action_tag", Executions = 1, Intervals = 60_000 };
        await jobs.CreateAsync(job);

        var e = await Assert.ThrowsAsync<MetronomeApiException>(() => jobs.CreateAsync(job));

        Assert.Equal(HttpStatusCode.Conflict, e.StatusCode);
        Assert.Contains("twice", e.Detail);
    }

    [Fact]
    public async Task A_body_over_one_mebibyte_throws_413()
    {
        var events = fixture.Admin.Product(await fixture.CreateProductAsync()).Events;
        var huge = new ProductEvent
        {
            Type = "function", Tag = "huge", Name = "Huge",
            Definition = JsonSerializer.SerializeToElement(new { language = "javascript", code = "//" + new string('x', 1_200_000) }),
        };

        var e = await Assert.ThrowsAsync<MetronomeApiException>(() => events.CreateAsync(huge));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, e.StatusCode);
    }

    [Fact]
    public async Task An_unreachable_server_throws_a_transport_failure_with_status_0()
    {
        using var client = new MetronomeClient(new MetronomeClientOptions
        {
            BaseAddress = new Uri($"http://127.0.0.1:{ServerProcess.FreePort()}"), ApiKey = "k", MaxRetryAttempts = 0,
        });

        var e = await Assert.ThrowsAsync<MetronomeApiException>(() => client.Product("shop").Jobs.FetchAsync("j"));

        Assert.True(e.IsTransportFailure);
        Assert.Equal((HttpStatusCode)0, e.StatusCode);
        Assert.Contains("could not reach", e.Message);
        Assert.IsType<HttpRequestException>(e.InnerException);
    }

    [Fact]
    public async Task A_cancelled_call_throws_OperationCanceledException_not_an_api_error()
    {
        var jobs = fixture.Admin.Product(await fixture.CreateProductAsync()).Jobs;
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => jobs.FetchAllAsync(cts.Token));
    }

    [Fact]
    public void Options_without_a_base_address_are_rejected_naming_the_setting()
    {
        var e = Assert.Throws<InvalidOperationException>(() => new MetronomeClient(new MetronomeClientOptions { ApiKey = "k" }));

        Assert.Contains("BaseAddress", e.Message);
    }
}
