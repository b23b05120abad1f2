using Metronome.Contracts;

namespace Metronome.Client.Tests;

/// <summary>
/// Names that end up in a URL are checked by the SDK before anything is sent: a job tag ".." would otherwise address
/// the product itself (<c>DELETE /api/products/shop/jobs/..</c> is <c>DELETE /api/products/shop</c> once normalised).
/// </summary>
public sealed class NameValidationTests
{
    private sealed class RecordingHandler : HttpMessageHandler
    {
        public List<HttpRequestMessage> Sent { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            Sent.Add(request);
            return Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.NoContent));
        }
    }

    private static (MetronomeClient Client, RecordingHandler Handler) NewClient()
    {
        var handler = new RecordingHandler();
        var options = new MetronomeClientOptions { BaseAddress = new Uri("http://127.0.0.1:9"), ApiKey = "k", MaxRetryAttempts = 1 };
        return (new MetronomeClient(new HttpClient(handler) { BaseAddress = options.BaseAddress }, options), handler);
    }

    public static TheoryData<string> BadTags => ["..", ".", "%2e%2e", "a/b", "A", "", "shop\n", "a b", "-a", "a\u0000b"];

    [Theory]
    [MemberData(nameof(BadTags))]
    public async Task A_job_call_with_an_invalid_tag_throws_and_sends_nothing(string tag)
    {
        var (client, handler) = NewClient();
        var jobs = client.Product("shop").Jobs;

        var e = await Assert.ThrowsAnyAsync<ArgumentException>(() => jobs.DeleteAsync(tag));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => jobs.FetchAsync(tag));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => jobs.PauseAsync(tag));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => jobs.TriggerAsync(tag));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => jobs.ListRunsAsync(tag));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => jobs.UpdateAsync(tag, new ProductJobUpdate { Name = "x" }));

        Assert.Contains(ResourceNames.TagPattern, e.Message);
        Assert.Empty(handler.Sent);
    }

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("Shop")]
    public async Task A_product_call_with_an_invalid_tag_throws_and_sends_nothing(string tag)
    {
        var (client, handler) = NewClient();

        Assert.ThrowsAny<ArgumentException>(() => client.Product(tag));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => client.Products.DeleteAsync(tag));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => client.Products.FetchAsync(tag));
        Assert.Empty(handler.Sent);
    }

    [Fact]
    public async Task Event_secret_and_run_names_are_checked_too()
    {
        var (client, handler) = NewClient();
        var shop = client.Product("shop");

        await Assert.ThrowsAnyAsync<ArgumentException>(() => shop.Events.DeleteAsync("action", ".."));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => shop.Events.DeleteAsync("..", "ping"));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => shop.Secrets.SetAsync("..", "v"));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => shop.Jobs.FetchRunAsync(".."));
        Assert.Empty(handler.Sent);
    }

    [Fact]
    public async Task Valid_names_are_sent()
    {
        var (client, handler) = NewClient();

        await client.Product("shop").Jobs.DeleteAsync("job.v1_a-b");

        Assert.Equal("/api/products/shop/jobs/job.v1_a-b", Assert.Single(handler.Sent).RequestUri!.AbsolutePath);
    }
}
