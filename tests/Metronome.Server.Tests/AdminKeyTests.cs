using System.Text.Json;
using Metronome.Contracts;
using Metronome.Server.Hosting;
using Metronome.Server.Tests.Infrastructure;

namespace Metronome.Server.Tests;

/// <summary>Tests that change process environment variables run alone, after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EnvironmentCollection
{
    public const string Name = "Process environment";
}

[Collection(EnvironmentCollection.Name)]
public sealed class AdminKeyTests
{
    [Fact]
    public async Task Admin_key_is_taken_from_the_METRONOME_ADMIN_KEY_environment_variable()
    {
        const string key = "env-admin-key-abcdefghijklmnop";
        Environment.SetEnvironmentVariable("METRONOME_ADMIN_KEY", key);
        try
        {
            await using var server = await TestServer.StartAsync(adminKey: null);
            using var client = server.Client(key);
            await (await client.GetAsync(Routes.Products)).ExpectAsync(200);
            await (await server.Admin.GetAsync(Routes.Products)).ExpectAsync(401);
            Assert.False(File.Exists(Path.Combine(server.DataDirectory, "admin.key")));
        }
        finally
        {
            Environment.SetEnvironmentVariable("METRONOME_ADMIN_KEY", null);
        }
    }

    [Fact]
    public async Task Admin_key_is_generated_into_the_data_directory_with_mode_0600_and_reused()
    {
        var data = Directory.CreateTempSubdirectory("metronome-admin-key-").FullName;
        try
        {
            string key;
            await using (var server = await TestServer.StartAsync(adminKey: null, dataDirectory: data))
            {
                var path = Path.Combine(data, "admin.key");
                Assert.True(File.Exists(path));
                if (!OperatingSystem.IsWindows())
                    Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
                key = File.ReadAllText(path).Trim();
                Assert.True(key.Length >= 32);
                using var client = server.Client(key);
                await (await client.GetAsync(Routes.Products)).ExpectAsync(200);
            }

            // A second start reads the same key instead of generating a new one.
            await using (var again = await TestServer.StartAsync(adminKey: null, dataDirectory: data))
            {
                Assert.Equal(key, File.ReadAllText(Path.Combine(data, "admin.key")).Trim());
                using var client = again.Client(key);
                await (await client.GetAsync(Routes.Products)).ExpectAsync(200);
            }
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task Secrets_still_decrypt_after_a_restart_because_data_protection_keys_are_persisted()
    {
        var data = Directory.CreateTempSubdirectory("metronome-dp-").FullName;
        await using var target = await TargetListener.StartAsync();
        try
        {
            await using (var server = await TestServer.StartAsync(dataDirectory: data))
            {
                await server.CreateProductAsync("dp");
                await (await server.Admin.PutAsync(Routes.Secret("dp", "TOKEN"), TestApi.Json(new SecretValue { Value = "s3cret" }))).ExpectAsync(204);
                var definition = JsonSerializer.SerializeToElement(new { url = target.Url.ToString(), headers = new Dictionary<string, string> { ["X-Token"] = "{{secrets.TOKEN}}" } });
                await (await server.Admin.PostAsync(Routes.Events("dp"),
                    TestApi.Json(new ProductEvent { Type = "action", Tag = "call", Name = "Call", Definition = definition }))).ExpectAsync(201);
                await server.Admin.CreateJobAsync("dp", TestApi.Job("call", "job"));
            }
            Assert.NotEmpty(Directory.GetFiles(Path.Combine(data, "keys"), "*.xml"));

            await using (var again = await TestServer.StartAsync(dataDirectory: data))
            {
                var run = await (await again.Admin.PostAsync(Routes.Job("dp", "job") + "/trigger", null)).ReadAsync<JobRun>();
                var finished = await TestApi.EventuallyAsync(() => again.Admin.GetJsonAsync<JobRun>(Routes.Run("dp", run.Id!)), r => r.Status != "running");
                Assert.Equal("succeeded", finished.Status);
                Assert.Equal("s3cret", Assert.Single(target.Requests).Token);
            }
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task Server_shuts_down_without_an_error()
    {
        var data = Directory.CreateTempSubdirectory("metronome-stop-").FullName;
        try
        {
            var server = await TestServer.StartAsync(dataDirectory: data);
            await (await server.Anonymous.GetAsync("/healthz")).ExpectAsync(200);
            var error = await Record.ExceptionAsync(server.StopStrictAsync);
            Assert.Null(error);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public void Postgres_store_without_a_connection_string_is_refused_naming_the_setting()
    {
        var data = Directory.CreateTempSubdirectory("metronome-pg-").FullName;
        try
        {
            var error = Assert.Throws<ServerConfigurationException>(() => MetronomeServer.Build(
                ["--urls=http://127.0.0.1:0", $"--METRONOME_DATA={data}", "--METRONOME_STORE=postgres"]));
            Assert.Contains("METRONOME_POSTGRES", error.Message);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Theory]
    [InlineData("METRONOME_STORE", "mysql")]
    [InlineData("METRONOME_MIN_INTERVAL_MS", "fast")]
    [InlineData("METRONOME_MIN_INTERVAL_MS", "0")]
    [InlineData("METRONOME_MISFIRE_THRESHOLD_MS", "-5")]
    public void Invalid_setting_stops_the_start_naming_it(string name, string value)
    {
        var data = Directory.CreateTempSubdirectory("metronome-cfg-").FullName;
        try
        {
            var error = Assert.Throws<ServerConfigurationException>(() => MetronomeServer.Build(
                ["--urls=http://127.0.0.1:0", $"--METRONOME_DATA={data}", $"--{name}={value}"]));
            Assert.Contains(name.Replace("METRONOME_", "").Replace("_", ""), error.Message.Replace("_", "").ToUpperInvariant());
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
