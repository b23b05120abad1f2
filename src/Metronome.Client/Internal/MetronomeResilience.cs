using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace Metronome.Client.Internal;

/// <summary>The retry policy of the SDK: transient failures of idempotent calls only.</summary>
internal static class MetronomeResilience
{
    /// <summary>POST creates and PATCH changes by delta: a retry after a lost answer could act twice, so neither is retried.</summary>
    public static void Apply(HttpRetryStrategyOptions retry, MetronomeClientOptions options)
    {
        retry.MaxRetryAttempts = Math.Max(1, options.MaxRetryAttempts);
        retry.Delay = options.RetryDelay;
        retry.BackoffType = DelayBackoffType.Exponential;
        retry.UseJitter = true;
        if (options.MaxRetryAttempts == 0) retry.ShouldHandle = _ => ValueTask.FromResult(false);
        else retry.DisableFor(HttpMethod.Post, HttpMethod.Patch, HttpMethod.Connect);
    }

    public static HttpMessageHandler CreateHandler(MetronomeClientOptions options, HttpMessageHandler inner)
    {
        var retry = new HttpRetryStrategyOptions();
        Apply(retry, options);
        var pipeline = new ResiliencePipelineBuilder<HttpResponseMessage>().AddRetry(retry).Build();
        return new ResilienceHandler(pipeline) { InnerHandler = inner };
    }
}
