using System.Net;
using System.Net.Http.Json;
using Metronome.Contracts;
using Microsoft.Data.Sqlite;

namespace Metronome.Security.Tests.DataIsolation;

/// <summary>
/// Issue 10, attack 1: a tenant's SQLite database_action aimed at the server's own database. The test server's working
/// directory is its data directory, so <c>/proc/self/cwd/metronome.db</c> is the live store.
/// </summary>
public sealed class SqliteDataIsolationTests(HostileServer server) : IClassFixture<HostileServer>
{
    private const string StealEvents = "SELECT product,tag,definition FROM events WHERE product<>'evil'";
    private const string StealKey = "INSERT INTO product_keys(id, product, key_hash, created_at) SELECT 'evil-key', tag, 'attacker-chosen-hash', 0 FROM products";

    private string ServerDb => Path.Combine(server.DataDirectory, "metronome.db");

    private static object Sqlite(string connection, string statement) => new { provider = "sqlite", connection, statement };

    [Fact]
    public async Task The_attack_as_written_is_refused_at_creation_for_every_path_to_the_server_database()
    {
        var (victim, evil) = await VictimAndEvilAsync();
        var link = Path.Combine(Path.GetTempPath(), $"metronome-innocent-{Guid.NewGuid():N}.db");
        File.CreateSymbolicLink(link, ServerDb);
        try
        {
            string[] connections =
            [
                "Data Source=/proc/self/cwd/data/metronome.db",
                "Data Source=/proc/self/cwd/metronome.db",
                $"Data Source={ServerDb}",
                $"Filename={ServerDb}",
                $"Data Source=file:{ServerDb}?mode=ro",
                $"Data Source={link}",
                "Data Source=metronome.db",
                $"Data Source={server.DataDirectory}/keys/x.db",
            ];
            foreach (var connection in connections)
            {
                var response = await evil.Http.PostAsJsonAsync(Routes.Events(evil.Product),
                    new { type = "database_action", tag = "steal", name = "steal", definition = Sqlite(connection, StealEvents) });
                Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{connection}: {response.StatusCode}");
                Assert.Contains("definition.connection", (await Tenant.ProblemErrorsAsync(response)).Select(kv => kv.Key));
            }
            Assert.DoesNotContain(victim.Product, server.Process.Output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(link);
        }
    }

    [Fact]
    public async Task A_connection_rendered_from_a_secret_is_refused_at_run_time_and_no_data_comes_back()
    {
        var (victim, evil) = await VictimAndEvilAsync();
        await PutSecretAsync(evil, "DB", "Data Source=/proc/self/cwd/metronome.db");
        await evil.CreateEventAsync("database_action", "steal", Sqlite("{{secrets.DB}}", StealEvents));

        await evil.CreateJobAsync("steal", "database_action", "steal");
        var run = Assert.Single(await evil.WaitForFinishedRunsAsync("steal", 1));

        Assert.Equal(RunStatuses.Failed, run.Status);
        Assert.Equal("rejected", run.Error?.Kind);
        Assert.Contains("definition.connection", run.Error?.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(victim.Product, run.Output?.GetRawText() ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attach_vacuum_into_and_insert_into_product_keys_are_refused_from_a_tenants_own_database()
    {
        var (victim, evil) = await VictimAndEvilAsync();
        var own = $"Data Source={Path.Combine(Path.GetTempPath(), $"metronome-evil-{Guid.NewGuid():N}.db")}";
        var copy = Path.Combine(Path.GetTempPath(), $"metronome-copy-{Guid.NewGuid():N}.db");
        await evil.CreateEventAsync("database_action", "attach",
            Sqlite(own, $"ATTACH DATABASE '{ServerDb}' AS s; SELECT product,tag,definition FROM s.events WHERE product<>'evil'"));
        await evil.CreateEventAsync("database_action", "vacuum", Sqlite(own, $"VACUUM INTO '{copy}'"));
        await evil.CreateEventAsync("database_action", "keys",
            Sqlite(own, $"ATTACH DATABASE '/proc/self/cwd/metronome.db' AS s; {StealKey.Replace("product_keys", "s.product_keys", StringComparison.Ordinal)}"));
        var direct = await evil.Http.PostAsJsonAsync(Routes.Events(evil.Product), new
        {
            type = "database_action", tag = "direct", name = "direct",
            definition = Sqlite("Data Source=/proc/self/cwd/metronome.db", StealKey),
        });

        foreach (var tag in new[] { "attach", "vacuum", "keys" })
        {
            await evil.CreateJobAsync(tag, "database_action", tag);
            var run = Assert.Single(await evil.WaitForFinishedRunsAsync(tag, 1));
            Assert.Equal(RunStatuses.Failed, run.Status);
            Assert.Equal("rejected", run.Error?.Kind);
            Assert.DoesNotContain(victim.Product, run.Output?.GetRawText() ?? "", StringComparison.Ordinal);
        }
        Assert.Equal(HttpStatusCode.BadRequest, direct.StatusCode);
        Assert.False(File.Exists(copy));
        Assert.Equal(1, await KeyCountAsync(victim.Product));
    }

    private async Task<(Tenant Victim, Tenant Evil)> VictimAndEvilAsync()
    {
        var victim = await server.CreateTenantAsync("victim");
        await PutSecretAsync(victim, "API", "victim-inline-credential-0123");
        await victim.CreateEventAsync("action", "billing", new { url = "http://127.0.0.1:9/x", headers = new Dictionary<string, string> { ["X-Key"] = "victim-inline-credential-4567" } });
        return (victim, await server.CreateTenantAsync("evil"));
    }

    private static async Task PutSecretAsync(Tenant tenant, string name, string value) =>
        await Tenant.EnsureAsync(await tenant.Http.PutAsJsonAsync(Routes.Secret(tenant.Product, name), new { value }));

    /// <summary>The victim's keys, read from the store's file by the test itself (read-only), not through the attacker.</summary>
    private async Task<long> KeyCountAsync(string product)
    {
        await using var connection = new SqliteConnection($"Data Source={ServerDb};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM product_keys WHERE product = $p";
        command.Parameters.AddWithValue("$p", product);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}

/// <summary>A server run with <c>METRONOME_SQLITE_ROOT</c>, as recommended for multi-tenant servers.</summary>
public sealed class RootedServer : HostileServer
{
    public string Root { get; } = Directory.CreateTempSubdirectory("metronome-sqlite-root-").FullName;

    protected override IDictionary<string, string> Environment => new Dictionary<string, string> { ["METRONOME_SQLITE_ROOT"] = Root };
}

public sealed class SqliteRootTests(RootedServer server) : IClassFixture<RootedServer>
{
    [Fact]
    public async Task Under_a_root_tmp_is_refused_and_a_database_under_the_root_works()
    {
        var tenant = await server.CreateTenantAsync("rooted");

        var outside = await tenant.Http.PostAsJsonAsync(Routes.Events(tenant.Product), new
        {
            type = "database_action", tag = "tmp", name = "tmp",
            definition = new { provider = "sqlite", connection = "Data Source=/tmp/x.db", statement = "CREATE TABLE t(x)" },
        });
        await tenant.CreateEventAsync("database_action", "inside",
            new { provider = "sqlite", connection = $"Data Source={server.Root}/{tenant.Product}.db", statement = "SELECT 41 + 1 AS answer" });
        await tenant.CreateJobAsync("inside", "database_action", "inside");
        var run = Assert.Single(await tenant.WaitForFinishedRunsAsync("inside", 1));

        Assert.Equal(HttpStatusCode.BadRequest, outside.StatusCode);
        Assert.Contains("definition.connection", (await Tenant.ProblemErrorsAsync(outside)).Select(kv => kv.Key));
        Assert.Equal(RunStatuses.Succeeded, run.Status);
        Assert.Equal(42, run.Output?[0].GetProperty("answer").GetInt32());
    }

    [Fact]
    public async Task Under_a_root_a_rendered_path_outside_it_fails_the_run_and_creates_no_file()
    {
        var tenant = await server.CreateTenantAsync("rooted");
        var outside = Path.Combine(Path.GetTempPath(), $"metronome-outside-{Guid.NewGuid():N}.db");
        await Tenant.EnsureAsync(await tenant.Http.PutAsJsonAsync(Routes.Secret(tenant.Product, "DB"), new { value = $"Data Source={outside}" }));
        await tenant.CreateEventAsync("database_action", "outside",
            new { provider = "sqlite", connection = "{{secrets.DB}}", statement = "CREATE TABLE t(x)" });

        await tenant.CreateJobAsync("outside", "database_action", "outside");
        var run = Assert.Single(await tenant.WaitForFinishedRunsAsync("outside", 1));

        Assert.Equal("rejected", run.Error?.Kind);
        Assert.Contains("METRONOME_SQLITE_ROOT", run.Error?.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(outside));
    }
}
