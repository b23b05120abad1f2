using System.Net;
using Xunit.Abstractions;
using Metronome.Contracts;

namespace Metronome.Security.Tests.Functions;

/// <summary>
/// The function attacks reproduced by a tenant with an ordinary product key (issue 10), each exactly as reported,
/// against a real server process: the server stays alive, each run ends in the right kind, and functions still run.
/// </summary>
[Collection(FunctionAttackCollection.Name)]
public sealed class HostileFunctionTests(FunctionServer server, ITestOutputHelper output) : IClassFixture<FunctionServer>
{
    private static readonly string[] StackExhausting =
    [
        "function handler(){ var p = new Proxy({}, {get: function(t,k,r){ return r[k]; }}); return p.x; }",
        "function handler(){ var o = {}; for (var i = 0; i < 100000; i++) o = {a: o}; return o; }",
        "function handler(){ var o = {}; for (var i = 0; i < 100000; i++) o = {a: o}; return JSON.stringify(o); }",
        "function handler(){ var a = []; for (var i = 0; i < 10000; i++) a = [a]; return String(a); }",
        "function handler(){ var p = {}; for (var i = 0; i < 100000; i++) p = new Proxy(p, {}); return p.x; }",
        "function handler(){ var a = []; for (var i = 0; i < 100000; i++) a = [a]; return a.flat(Infinity); }",
    ];

    [Fact]
    public async Task Stack_exhausting_functions_repeated_for_ever_leave_the_server_alive_and_functions_working()
    {
        var evil = await server.CreateTenantAsync("stack");
        var payloads = StackExhausting;
        for (var i = 0; i < payloads.Length; i++)
        {
            await evil.CreateFunctionAsync($"f{i}", payloads[i], timeoutMs: 10_000);
            await evil.CreateFunctionJobAsync($"j{i}", $"f{i}", executions: 0, intervals: 500);
        }

        for (var i = 0; i < payloads.Length; i++)
        {
            var runs = await evil.WaitForExecutedRunsAsync($"j{i}", 2);
            output.WriteLine($"payload {i}: {FunctionAttacks.Describe(runs.Take(2))}");
            Assert.True(runs.All(r => r.Status == RunStatuses.Succeeded || r.Error?.Kind is "limit_exceeded" or "crashed"),
                payloads[i] + " → " + FunctionAttacks.Describe(runs));
        }

        Assert.True(await server.IsAliveAsync());
        await AssertFunctionsStillRunAsync();
        await Tenant.EnsureAsync(await server.Admin.DeleteAsync(Routes.Product(evil.Product)));
    }

    [Fact]
    public async Task Loop_of_temporaries_succeeds_twenty_times_out_of_twenty_at_32_mb()
    {
        var tenant = await server.CreateTenantAsync("temps");
        await tenant.CreateFunctionAsync("temps",
            "function handler(){ var s = Date.now(), i = 0; while (Date.now() - s < 500) { var t = {a: i}; i++; } return i; }",
            timeoutMs: 5000, memoryLimitMb: 32);
        await tenant.CreateFunctionJobAsync("temps", "temps", executions: 20, intervals: 100, overlap: "allow");

        var runs = await tenant.WaitForExecutedRunsAsync("temps", 20, TimeSpan.FromSeconds(50));
        output.WriteLine($"{runs.Count(r => r.Status == RunStatuses.Succeeded)}/20 succeeded; {FunctionAttacks.Describe(runs.Take(3))}");

        Assert.True(runs.All(r => r.Status == RunStatuses.Succeeded), FunctionAttacks.Describe(runs));
    }

    [Fact]
    public async Task Endless_await_loop_ends_as_a_timeout_not_a_memory_limit()
    {
        var tenant = await server.CreateTenantAsync("await");
        await tenant.CreateFunctionAsync("await", "async function handler(){ while(true){ await null; } }", timeoutMs: 1000);
        await tenant.CreateFunctionJobAsync("await", "await", executions: 0, intervals: 200);

        var runs = await tenant.WaitForExecutedRunsAsync("await", 2);
        output.WriteLine(FunctionAttacks.Describe(runs));
        await Tenant.EnsureAsync(await server.Admin.DeleteAsync(Routes.Product(tenant.Product)));

        Assert.True(runs.All(FunctionAttacks.TimedOut), FunctionAttacks.Describe(runs));
    }

    [Fact]
    public async Task Huge_string_allocations_fail_and_leave_the_server_memory_bounded()
    {
        var tenant = await server.CreateTenantAsync("repeat");
        await tenant.CreateFunctionAsync("repeat", "function handler(){ return 'y'.repeat(5e8); }", timeoutMs: 10_000);
        var before = server.ServerRssMb();
        await tenant.CreateFunctionJobAsync("repeat", "repeat", executions: 4, intervals: 100, overlap: "allow");

        var runs = await tenant.WaitForExecutedRunsAsync("repeat", 4);
        var after = server.ServerRssMb();
        output.WriteLine($"server RSS {before} MB before, {after} MB after; {FunctionAttacks.Describe(runs)}");

        Assert.True(runs.All(r => r.Error?.Kind is "limit_exceeded" or "crashed"), FunctionAttacks.Describe(runs));
        Assert.True(after < Math.Max(before, 150) + 150, $"server RSS {before} MB before, {after} MB after");
        Assert.True(await server.IsAliveAsync());
    }

    [Fact]
    public async Task Catastrophic_regex_ends_near_its_timeout()
    {
        var tenant = await server.CreateTenantAsync("regex");
        await tenant.CreateFunctionAsync("regex", "function handler(){ return /^(a+)+$/.test('a'.repeat(40) + '!'); }", timeoutMs: 1000);
        await tenant.CreateFunctionJobAsync("regex", "regex", executions: 2, intervals: 100);

        var runs = await tenant.WaitForExecutedRunsAsync("regex", 2);
        output.WriteLine(FunctionAttacks.Describe(runs));

        Assert.True(runs.All(r => FunctionAttacks.TimedOut(r) && r.DurationMs < 3000), FunctionAttacks.Describe(runs));
    }

    [Fact]
    public async Task Deeply_nested_code_is_refused_at_create_without_harm()
    {
        var tenant = await server.CreateTenantAsync("nest");
        var code = "function handler(){ return " + new string('(', 100_000) + "1" + new string(')', 100_000) + "; }";

        var response = await tenant.PostJsonAsync(Routes.Events(tenant.Product), System.Text.Json.JsonSerializer.Serialize(
            new { type = "function", tag = "nest", name = "nest", definition = new { language = "javascript", code } }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("definition.code", (await Tenant.ProblemErrorsAsync(response)).Select(kv => kv.Key));
        Assert.True(await server.IsAliveAsync());
    }

    private async Task AssertFunctionsStillRunAsync()
    {
        var tenant = await server.CreateTenantAsync("after");
        await tenant.CreateFunctionAsync("sum", "function handler(input){ return 40 + 2; }");
        await tenant.CreateFunctionJobAsync("sum", "sum", executions: 1, intervals: 60_000);
        var run = Assert.Single(await tenant.WaitForExecutedRunsAsync("sum", 1));
        Assert.Equal(RunStatuses.Succeeded, run.Status);
        Assert.Equal("42", run.Output?.GetRawText());
    }
}
