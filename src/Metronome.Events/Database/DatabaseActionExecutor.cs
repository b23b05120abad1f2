using System.Text.Json;
using Metronome.Core;
using Metronome.Core.Execution;
using Metronome.Core.Templates;
using Microsoft.Data.Sqlite;
using ExecutionContext = Metronome.Core.Execution.ExecutionContext;

namespace Metronome.Events.Database;

/// <summary>
/// Executes a <c>database_action</c> event: renders the connection string (so <c>{{secrets.NAME}}</c> works), renders
/// and binds the parameters, and runs the statement in one transaction (see <see cref="StatementRunner"/>).
/// Pools are the drivers' own: Microsoft.Data.Sqlite pools per connection string; PostgreSQL gets one
/// <c>NpgsqlDataSource</c> per rendered connection string (<see cref="PostgresDataSources"/>), disposed with this
/// singleton when the host shuts down.
/// </summary>
/// <remarks>
/// SQLite paths pass <see cref="SqlitePathPolicy"/> when the event is created (a literal connection) and again at run
/// time after rendering (a refused path fails the run with kind <c>rejected</c>); statements run under
/// <see cref="SqliteLockdown"/> (no ATTACH, no VACUUM INTO, no extensions).
/// </remarks>
internal sealed class DatabaseActionExecutor(SqlitePathPolicy paths) : IEventExecutor, IAsyncDisposable, IDisposable
{
    private readonly PostgresDataSources _postgres = new();

    public string EventType => "database_action";

    /// <summary>The number of PostgreSQL pools held (for tests).</summary>
    internal int PostgresPools => _postgres.Count;

    public void Validate(JsonElement definition, ValidationErrors errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var read = DatabaseActionDefinition.Read(definition, errors);
        if (definition.ValueKind == JsonValueKind.Object) TemplateRenderer.Validate(definition, DefinitionReader.Prefix, errors);
        if (read is { Provider: DatabaseActionDefinition.Sqlite } && !TemplateRenderer.HasPlaceholders(read.Connection)
            && paths.Check(read.Connection, out _) is { } refused)
            errors.Add(DefinitionReader.Field("connection"), refused);
    }

    public async Task<ExecutionOutcome> ExecuteAsync(ExecutionContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var document = JsonDocument.Parse(context.Event.DefinitionJson);
        var errors = new ValidationErrors();
        if (DatabaseActionDefinition.Read(document.RootElement, errors) is not { } definition)
            return ExecutionOutcome.Failure(ErrorKinds.Exception, "The definition is invalid: " + DefinitionReader.Describe(errors));
        var scope = TemplateScope.From(context);
        var connection = TemplateRenderer.Render(definition.Connection, scope).Trim();
        if (connection.Length == 0 || DatabaseActionDefinition.CheckConnectionString(definition.Provider, connection) is not null)
            return ExecutionOutcome.Failure(ErrorKinds.Exception,
                $"definition.connection: the rendered value is not a valid {definition.Provider} connection string.");
        if (definition.Provider == DatabaseActionDefinition.Sqlite)
        {
            if (paths.Check(connection, out var resolved) is { } refused)
                return ExecutionOutcome.Failure(ErrorKinds.Rejected, "definition.connection: " + refused);
            connection = resolved;
        }
        var parameters = StatementRunner.RenderParameters(definition.Parameters, scope);

        var limit = definition.Timeout is { } own && own < context.Timeout ? own : context.Timeout;
        using var timeoutCts = definition.Timeout is null ? null : CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (definition.Timeout is { } timeout) timeoutCts!.CancelAfter(timeout);
        var token = timeoutCts?.Token ?? ct;
        try
        {
            var output = definition.Provider == DatabaseActionDefinition.Sqlite
                ? await RunSqliteAsync(connection, definition.Statement, parameters, limit, token).ConfigureAwait(false)
                : await RunPostgresAsync(connection, definition.Statement, parameters, limit, token).ConfigureAwait(false);
            return ExecutionOutcome.Success(output);
        }
        catch (Exception e) when (ct.IsCancellationRequested)
        {
            if (e is OperationCanceledException) throw;
            throw new OperationCanceledException("The attempt was cancelled.", e, ct);
        }
        catch (Exception) when (timeoutCts?.IsCancellationRequested == true)
        {
            return ExecutionOutcome.Failure(ErrorKinds.Timeout,
                DefinitionReader.Invariant($"The statement did not finish within {definition.Timeout!.Value.TotalMilliseconds:0} ms (definition.timeout_ms)."));
        }
        catch (Exception e) when (DatabaseFailures.Classify(e, definition.Provider) is { } outcome)
        {
            return outcome;
        }
    }

    /// <summary>
    /// Microsoft.Data.Sqlite does its work synchronously under the async API, so the statement runs on the thread pool
    /// and the wait ends at the token: a statement stuck on a locked file holds neither the caller's thread nor the
    /// attempt past its timeout (the driver gives up by itself at the command timeout).
    /// </summary>
    private static Task<string> RunSqliteAsync(string connectionString, string statement,
        IReadOnlyList<KeyValuePair<string, object>> parameters, TimeSpan timeout, CancellationToken ct) =>
        Task.Run(async () =>
        {
            await using var connection = new SqliteConnection(connectionString);
            await connection.OpenAsync(ct).ConfigureAwait(false);
            using var lockdown = SqliteLockdown.Apply(connection);
            return await StatementRunner.RunAsync(connection, statement, parameters, timeout, ct).ConfigureAwait(false);
        }, ct).WaitAsync(ct);

    private async Task<string> RunPostgresAsync(string connectionString, string statement,
        IReadOnlyList<KeyValuePair<string, object>> parameters, TimeSpan timeout, CancellationToken ct)
    {
        await using var connection = _postgres.CreateConnection(connectionString);
        return await StatementRunner.RunAsync(connection, statement, parameters, timeout, ct).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _postgres.DisposeAsync();

    public void Dispose() => _postgres.Dispose();
}
