using Metronome.Core.Execution;
using Metronome.Events.Database;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Metronome.Events.Tests.Security;

/// <summary>A tenant's SQLite database_action never reaches the server's data, /proc, /sys, /dev, or beyond the root.</summary>
public sealed class SqliteIsolationTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("metronome-isolation-").FullName;
    private readonly string _data;
    private readonly string _root;
    private readonly string _serverDb;

    public SqliteIsolationTests()
    {
        _data = Directory.CreateDirectory(Path.Combine(_work, "data")).FullName;
        _root = Directory.CreateDirectory(Path.Combine(_work, "tenants")).FullName;
        _serverDb = Path.Combine(_data, "metronome.db");
        using var connection = new SqliteConnection($"Data Source={_serverDb};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "CREATE TABLE product_keys(product TEXT, hash TEXT); INSERT INTO product_keys VALUES ('victim', 'h')";
        command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_work, recursive: true);
    }

    private SqlitePathPolicy Policy(bool withRoot = false)
    {
        var options = new EventsOptions { SqliteRoot = withRoot ? _root : null };
        options.ProtectedPaths.Add(_data);
        return SqlitePathPolicy.From(options);
    }

    private string? Refusal(string connection, bool withRoot = false) => Policy(withRoot).Check(connection, out _);

    [Fact]
    public void The_server_data_directory_is_refused_by_path_uri_relative_path_and_symlink()
    {
        var fileLink = Path.Combine(_work, "innocent.db");
        File.CreateSymbolicLink(fileLink, _serverDb);
        var dirLink = Path.Combine(_work, "dirlink");
        Directory.CreateSymbolicLink(dirLink, _data);

        Assert.NotNull(Refusal($"Data Source={_serverDb}"));
        Assert.NotNull(Refusal($"Filename={_serverDb}"));
        Assert.NotNull(Refusal($"Data Source={_data}/../data/./metronome.db"));
        Assert.NotNull(Refusal($"Data Source=file:{_serverDb}?mode=ro"));
        Assert.NotNull(Refusal($"Data Source=file://{_serverDb}"));
        Assert.NotNull(Refusal($"Data Source=file:{_serverDb.Replace("/", "%2F", StringComparison.Ordinal)}"));
        Assert.NotNull(Refusal($"Data Source={fileLink}"));
        Assert.NotNull(Refusal($"Data Source={dirLink}/metronome.db"));
        Assert.NotNull(Refusal($"Data Source={dirLink}/new-file.db"));
        Assert.NotNull(Refusal($"Data Source=/proc/self/root{_serverDb}"));
        Assert.NotNull(Refusal($"Data Source=/proc/{Environment.ProcessId}/cwd/x.db"));
        Assert.NotNull(Refusal("Data Source=/dev/null"));
        Assert.NotNull(Refusal("Data Source=/sys/kernel/x.db"));
    }

    [Fact]
    public void Memory_databases_and_ordinary_files_are_allowed_and_the_resolved_path_is_what_gets_opened()
    {
        Assert.Null(Refusal("Data Source=:memory:"));
        Assert.Null(Refusal($"Data Source={_serverDb};Mode=Memory"));
        Assert.Null(Refusal("Data Source=file:shared?mode=memory&cache=shared"));
        var link = Path.Combine(_root, "link.db");
        File.CreateSymbolicLink(link, Path.Combine(_root, "real.db"));

        Assert.Null(Policy(withRoot: true).Check($"Data Source={link}", out var resolved));
        Assert.Equal(Path.Combine(_root, "real.db"), new SqliteConnectionStringBuilder(resolved).DataSource);
    }

    [Fact]
    public void With_a_root_only_paths_under_it_are_allowed()
    {
        var escape = Path.Combine(_root, "escape.db");
        File.CreateSymbolicLink(escape, Path.Combine(_work, "outside.db"));

        Assert.Null(Refusal($"Data Source={_root}/app.db", withRoot: true));
        Assert.NotNull(Refusal("Data Source=/tmp/x.db", withRoot: true));
        Assert.NotNull(Refusal($"Data Source={_root}/../outside.db", withRoot: true));
        Assert.NotNull(Refusal($"Data Source={escape}", withRoot: true));
        Assert.Null(Refusal("Data Source=/tmp/x.db"));
    }

    [Fact]
    public void Options_with_a_relative_root_are_refused_naming_the_setting()
    {
        using var provider = new ServiceCollection().AddMetronomeEvents(o => o.SqliteRoot = "relative/dir").BuildServiceProvider();

        var atStart = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<EventsOptions>>().Value);
        var inPolicy = Assert.Throws<ArgumentException>(() => SqlitePathPolicy.From(new EventsOptions { SqliteRoot = "relative/dir" }));

        Assert.Contains("EventsOptions.SqliteRoot must be an absolute directory path, not 'relative/dir'.", atStart.Message);
        Assert.Contains("METRONOME_SQLITE_ROOT", inPolicy.Message);
    }

    [Fact]
    public async Task A_literal_protected_connection_is_a_validation_error_and_a_rendered_one_a_rejected_run()
    {
        using var executors = new SecureExecutors(o => o.ProtectedPaths.Add(_data));
        var executor = executors.Executor("database_action");

        var errors = TestContexts.ValidationErrorsOf(executor,
            $$"""{"provider": "sqlite", "connection": "Data Source={{_serverDb}}", "statement": "SELECT * FROM product_keys"}""");
        Assert.Contains("definition.connection", errors.Keys);

        var outcome = await Run(executor, "{{secrets.DB}}", "SELECT * FROM product_keys", $"Data Source={_serverDb}");
        Assert.Equal(ErrorKinds.Rejected, outcome.ErrorKind);
        Assert.StartsWith("definition.connection", outcome.ErrorMessage);
        Assert.DoesNotContain("victim", outcome.OutputJson ?? "");
    }

    [Fact]
    public async Task Attach_vacuum_into_and_load_extension_are_refused_inside_an_allowed_database()
    {
        using var executors = new SecureExecutors(o => o.ProtectedPaths.Add(_data));
        var executor = executors.Executor("database_action");
        var tenantDb = $"Data Source={Path.Combine(_root, "tenant.db")}";
        var copy = Path.Combine(_work, "copy.db");

        var attach = await Run(executor, tenantDb, $"ATTACH DATABASE '{_serverDb}' AS server");
        var vacuum = await Run(executor, tenantDb, $"VACUUM INTO '{copy}'");
        var extension = await Run(executor, tenantDb, "SELECT load_extension('/usr/lib/x86_64-linux-gnu/libm.so.6')");
        var ordinary = await Run(executor, tenantDb, "CREATE TABLE IF NOT EXISTS t(x); INSERT INTO t VALUES (1)");

        Assert.Equal(ErrorKinds.Rejected, attach.ErrorKind);
        Assert.Equal(ErrorKinds.Rejected, vacuum.ErrorKind);
        Assert.Equal(ErrorKinds.Rejected, extension.ErrorKind);
        Assert.False(File.Exists(copy));
        Assert.True(ordinary.Succeeded, ordinary.ErrorMessage);
    }

    [Fact]
    public async Task The_lockdown_is_lifted_from_a_pooled_connection_after_the_statement()
    {
        using var executors = new SecureExecutors();
        var tenantDb = $"Data Source={Path.Combine(_root, "pooled.db")}";
        Assert.True((await Run(executors.Executor("database_action"), tenantDb, "SELECT 1")).Succeeded);

        using var connection = new SqliteConnection(tenantDb);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"ATTACH DATABASE '{Path.Combine(_root, "other.db")}' AS other";
        command.ExecuteNonQuery();
    }

    private static Task<ExecutionOutcome> Run(IEventExecutor executor, string connection, string statement, string? secret = null)
    {
        var definition = $$"""{"provider": "sqlite", "connection": "{{connection}}", "statement": "{{statement}}"}""";
        var secrets = new Dictionary<string, string> { ["DB"] = secret ?? "unused" };
        return executor.ExecuteAsync(TestContexts.For("database_action", definition, "{}", secrets), CancellationToken.None);
    }
}
