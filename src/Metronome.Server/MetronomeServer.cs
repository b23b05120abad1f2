using Metronome.Contracts;
using Metronome.Core.Execution;
using Metronome.Core.Hosting;
using Metronome.Events;
using Metronome.Server.Api;
using Metronome.Server.Api.Sessions;
using Metronome.Server.Dashboard;
using Metronome.Server.Hosting;
using Metronome.Server.OpenApi;
using Metronome.Storage.Postgres;
using Metronome.Storage.Sqlite;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Configuration.Memory;

namespace Metronome.Server;

/// <summary>
/// Builds the Metronome server: REST API, dashboard, engine, store (SQLite, or PostgreSQL for a cluster) and executors in one process.
/// <c>Program.cs</c> calls <see cref="Build"/> and runs the result; tests call it to start the very same application
/// in-process (e.g. with <c>--urls=http://127.0.0.1:0</c> and a temporary <c>METRONOME_DATA</c>).
/// </summary>
public static class MetronomeServer
{
    /// <summary>Largest request body accepted (413 beyond).</summary>
    public const long MaxRequestBodyBytes = 1024 * 1024;

    private static readonly Dictionary<string, string?> QuietLogging = new()
    {
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        // The authentication base class logs every 401/403 at Information under the handler's own name: a line per
        // rejected key would let anyone fill the log.
        [$"Logging:LogLevel:{typeof(ApiKeyHandler).FullName}"] = "Warning",
        // HttpClientFactory's handlers log 2 lines per request and 2 per try at Information, with the URL (which may carry a
        // secret); each attempt has its own line (RunDispatcher) instead.
        ["Logging:LogLevel:System.Net.Http.HttpClient"] = "Warning",
    };

    /// <summary>
    /// Sets this process's umask to 077, so that every file and directory it creates from now on is owner-only
    /// (Data Protection key files, a recreated WAL). <c>Program.cs</c> and <c>metronome serve</c> call it before
    /// <see cref="Build"/>; a host that embeds the server in a process of its own (tests) decides for itself. The data
    /// directory and database files get their modes explicitly in <see cref="Build"/> whatever the umask.
    /// </summary>
    public static void UseOwnerOnlyFileCreation() => DataDirectoryPermissions.RestrictUmask();

    /// <summary>Builds the application without starting it.</summary>
    /// <param name="args">Command-line arguments (<c>--urls</c>, <c>--METRONOME_DATA=...</c>, any configuration key).</param>
    /// <param name="configure">Called before the settings are read: tests add configuration or replace services here.</param>
    /// <exception cref="ServerConfigurationException">A setting is invalid; the message names it.</exception>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        // Quiet defaults (one line per request is noise for a scheduler); any configuration source overrides them.
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = QuietLogging });
        configure?.Invoke(builder);
        // METRONOME_* variables become their Metronome:... keys once; from here on every setting is read from its section.
        SettingsTable.Apply(builder.Configuration);
        var settings = ServerSettings.From(builder.Configuration);
        DataDirectoryPermissions.Apply(settings);
        ThreadPoolFloor.Apply();

        builder.WebHost.UseUrls(settings.Urls);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = MaxRequestBodyBytes);
        AddServices(builder, settings);
        builder.AddMetronomeTelemetry();

        var app = builder.Build();
        try
        {
            ServerOptions.Check(app.Services);
        }
        catch (ServerConfigurationException)
        {
            ((IDisposable)app).Dispose();
            throw;
        }
        UsePipeline(app);
        return app;
    }

    private static void AddServices(WebApplicationBuilder builder, ServerSettings settings)
    {
        var services = builder.Services;
        services.AddSingleton(settings);
        // The engine paces a graceful stop by the host's shutdown timeout (attempts in flight finish, the rest are handed back).
        services.Configure<HostOptions>(o => o.ShutdownTimeout = settings.ShutdownTimeout);
        services.AddSingleton(AdminKey.Load(settings, Console.Out));

        var dataProtection = services.AddDataProtection().SetApplicationName("Metronome");
        if (settings.Store == "postgres")
        {
            // A cluster shares one key ring in its database: a secret stored through any node decrypts on every node.
            var connection = settings.PostgresConnection!;
            services.Configure<KeyManagementOptions>(o => o.XmlRepository = new PostgresKeyRepository(connection));
        }
        else
        {
            var keys = Directory.CreateDirectory(settings.DataProtectionKeysPath);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(keys.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            dataProtection.PersistKeysToFileSystem(keys);
        }
        services.AddSingleton<ISecretProtector, DataProtectionSecretProtector>();

        services.AddMetronome();
        // postgres: this process is one node of a cluster sharing the database (METRONOME_NODE names it).
        if (settings.Store == "postgres")
            services.AddMetronomePostgres(settings.PostgresConnection!);
        else
            services.AddMetronomeSqlite(settings.DatabasePath);
        services.AddMetronomeEvents();
        services.AddHealthChecks().AddMetronome(); // /livez, /readyz, /healthz (Api/OperationsEndpoints.cs)
        ServerOptions.Bind(services, builder.Configuration, settings);

        services.ConfigureHttpJsonOptions(o =>
        {
            var wire = MetronomeJson.Options;
            o.SerializerOptions.PropertyNamingPolicy = wire.PropertyNamingPolicy;
            o.SerializerOptions.DictionaryKeyPolicy = wire.DictionaryKeyPolicy;
            o.SerializerOptions.DefaultIgnoreCondition = wire.DefaultIgnoreCondition;
            o.SerializerOptions.UnmappedMemberHandling = wire.UnmappedMemberHandling;
            o.SerializerOptions.NumberHandling = wire.NumberHandling;
            o.SerializerOptions.PropertyNameCaseInsensitive = wire.PropertyNameCaseInsensitive;
        });
        services.AddProblemDetails();
        services.AddExceptionHandler<ApiExceptionHandler>();
        // Dashboard sessions: in the shared database for a cluster (every node agrees on sign-outs), in memory for one node.
        if (settings.Store == "postgres")
            services.AddSingleton<ISessionStore>(_ => new PostgresSessionStore(settings.PostgresConnection!));
        else
            services.AddSingleton<ISessionStore, InMemorySessionStore>();
        services.AddSingleton<SessionService>();
        services.AddSingleton(new ServerStart(DateTimeOffset.UtcNow));
        services.AddApiKeyAuthorization();
        // The audit log's actor is the request's caller (admin or the key id).
        services.AddHttpContextAccessor();
        services.AddSingleton<Core.Audit.IAuditActorSource, RequestAuditActor>();
        services.AddApiReference();
    }

    private static void UsePipeline(WebApplication app)
    {
        app.UseSecurityHeaders(http => ApiReference.IsDocsRequest(http) ? ApiReference.ContentSecurityPolicy(http) : DashboardEndpoints.ContentSecurityPolicy);
        app.UseMetricsEndpoint();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseDotSegmentRefusal();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapApiReference();
        app.MapDashboard();
        app.MapOperations();

        var api = app.MapGroup("/api");
        api.RequireAuthorization(ApiAuthorization.CallerPolicy);
        api.MapSession();
        api.MapProducts();
        api.MapKeys();
        api.MapSecrets();
        api.MapEvents();
        api.MapJobs();
        api.MapRuns();
        api.MapStats();
        api.MapAudit();
        api.MapCluster();
    }
}
