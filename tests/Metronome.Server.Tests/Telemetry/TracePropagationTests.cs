using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Metronome.Contracts;
using Metronome.Core.Telemetry;
using Metronome.Server.Tests.Infrastructure;

namespace Metronome.Server.Tests.Telemetry;

/// <summary>Action and webhook requests carry the W3C <c>traceparent</c> of their attempt's activity to a real listener.</summary>
public sealed class TracePropagationTests
{
    [Fact]
    public async Task Action_and_webhook_requests_carry_the_traceparent_of_their_attempt_and_no_baggage()
    {
        await using var target = await TargetListener.StartAsync();
        await using var server = await TestServer.StartAsync();
        var product = (await server.CreateProductAsync()).Tag!;
        var attempts = new ConcurrentDictionary<string, string>(); // job tag → trace id of its attempt's activity
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == MetronomeTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (a.GetTagItem("metronome.product") as string == product) attempts[(string)a.GetTagItem("metronome.job.tag")!] = a.TraceId.ToHexString();
            },
        };
        ActivitySource.AddActivityListener(listener);
        // Baggage of whatever is current when the job is created must not travel to the target.
        using var ambient = new Activity("caller").AddBaggage("secret-baggage", "do-not-send").Start();
        var action = await server.Admin.CreateActionEventAsync(product, new Uri(target.Url, "/traced-action"));
        await server.Admin.CreateEventAsync(product, "notification", "hook", new
        {
            channel = "webhook", url = new Uri(target.Url, "/traced-webhook").ToString(), method = "POST", body = new { text = "run" },
        });
        await server.Admin.CreateJobAsync(product, TestApi.Job(action.Tag!, "action-job", executions: 1, intervals: 100));
        var hookJob = TestApi.Job("hook", "hook-job", executions: 1, intervals: 100);
        hookJob.EventType = "notification";
        await server.Admin.CreateJobAsync(product, hookJob);
        await MetricsScrapeTests.FinishedAsync(server.Admin, product, "action-job", 1);
        await MetricsScrapeTests.FinishedAsync(server.Admin, product, "hook-job", 1);
        await TestApi.EventuallyAsync(() => Task.FromResult(attempts.Count), n => n == 2);

        foreach (var (path, job) in new[] { ("/traced-action", "action-job"), ("/traced-webhook", "hook-job") })
        {
            var request = Assert.Single(target.Requests, r => r.Path == path);
            var traceparent = request.Headers.GetValueOrDefault("traceparent");
            Assert.NotNull(traceparent);
            var parts = traceparent.Split('-');
            Assert.Equal(4, parts.Length);
            Assert.Equal("00", parts[0]);
            Assert.Equal(attempts[job], parts[1]); // the attempt's trace (the parent is its HttpClient span)
            Assert.NotEqual(ambient.TraceId.ToHexString(), parts[1]);
            Assert.False(request.Headers.ContainsKey("baggage"));
            Assert.False(request.Headers.ContainsKey("Correlation-Context"));
            Assert.DoesNotContain("do-not-send", string.Join('\n', request.Headers.Values));
        }
    }
}
