using System.Globalization;
using System.Threading.Channels;
using Metronome.FunctionHost;

// A worker of Metronome's function pool: reads WorkerRequest frames on stdin, answers each with one WorkerResponse
// frame on stdout, one attempt at a time. Ends when stdin ends (the server closed it or died). Settings come from the
// parent through the environment; the parent also sets the hard heap limit (DOTNET_GCHeapHardLimit) and priority.

var stdout = Console.OpenStandardOutput();
// Nothing but frames may reach stdout: anything written through Console goes to stderr instead.
Console.SetOut(Console.Error);

var cacheChars = Setting("METRONOME_FUNCTION_HOST_CACHE_CHARS", 1024 * 1024);
var recycleBytes = Setting("METRONOME_FUNCTION_HOST_RECYCLE_MB", 256) * 1024 * 1024;
var runner = new AttemptRunner(new ScriptCache(cacheChars));
// Warm up (JIT of the engine and parser) before the first real attempt, so its time limit measures the function.
runner.Run(new WorkerRequest
{
    Code = "function handler(input, context) { return JSON.stringify([input, context, /a+/.test('aa')]); }",
    Input = "{}", Context = "{}", TimeoutMs = 30_000, MemoryLimitMb = 512, MaxOutputBytes = 1024,
});

await WorkerProtocol.WriteAsync(stdout, new WorkerResponse { Succeeded = true, Ready = true }, CancellationToken.None);

// stdin is read on its own so that its end stops the process at once, even in the middle of an attempt.
var requests = Channel.CreateUnbounded<WorkerRequest>();
_ = Task.Run(async () =>
{
    var stdin = Console.OpenStandardInput();
    try
    {
        while (await WorkerProtocol.ReadAsync<WorkerRequest>(stdin, CancellationToken.None) is { } request)
            await requests.Writer.WriteAsync(request);
    }
    catch (Exception e) when (e is IOException or InvalidDataException or System.Text.Json.JsonException)
    {
        Console.Error.WriteLine($"metronome function host: bad input, exiting: {e.Message}");
    }
    Environment.Exit(0);
});

while (true)
{
    var request = await requests.Reader.ReadAsync();
    var response = runner.Run(request);
    if (!response.Exiting && GC.GetTotalMemory(forceFullCollection: false) > recycleBytes
        && GC.GetTotalMemory(forceFullCollection: true) > recycleBytes)
        response = response with { Exiting = true };
    await WorkerProtocol.WriteAsync(stdout, response, CancellationToken.None);
    if (response.Exiting) Environment.Exit(0);
}

static long Setting(string name, long fallback) =>
    long.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= 0
        ? value
        : fallback;
