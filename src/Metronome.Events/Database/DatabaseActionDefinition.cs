using System.Text.Json;
using System.Text.RegularExpressions;
using Metronome.Core;
using Metronome.Core.Templates;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Metronome.Events.Database;

/// <summary>
/// The definition of a <c>database_action</c> event: <c>provider</c> (<c>sqlite</c> | <c>postgres</c>),
/// <c>connection</c> (the driver's own connection string, a template: usually <c>{{secrets.NAME}}</c>),
/// <c>statement</c> (SQL with <c>@name</c> parameters; never a template), <c>parameters</c> (an object: each value is
/// rendered and bound as the parameter of that name) and <c>timeout_ms</c> (optional).
/// </summary>
internal sealed partial record DatabaseActionDefinition(
    string Provider, string Connection, string Statement, JsonElement? Parameters, TimeSpan? Timeout)
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";
    public const int MaxTimeoutMs = 3_600_000;

    private static readonly HashSet<string> Fields = ["provider", "connection", "statement", "parameters", "timeout_ms"];

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,62}$")]
    private static partial Regex ParameterName();

    public static DatabaseActionDefinition? Read(JsonElement definition, ValidationErrors errors)
    {
        if (!DefinitionReader.IsObject(definition, errors)) return null;
        var ok = true;
        foreach (var property in definition.EnumerateObject().Where(p => !Fields.Contains(p.Name)))
        {
            errors.Add(DefinitionReader.Field(property.Name), "Unknown field.");
            ok = false;
        }

        var provider = DefinitionReader.String(definition, "provider", errors, required: true);
        if (provider is not (null or Sqlite or Postgres))
        {
            errors.Add(DefinitionReader.Field("provider"), "Must be one of: postgres, sqlite.");
            provider = null;
        }
        var connection = DefinitionReader.String(definition, "connection", errors, required: true);
        if (provider is not null && connection is not null && !TemplateRenderer.HasPlaceholders(connection)
            && CheckConnectionString(provider, connection) is { } problem)
        {
            errors.Add(DefinitionReader.Field("connection"), problem);
            ok = false;
        }
        var statement = DefinitionReader.String(definition, "statement", errors, required: true);
        if (statement is not null && TemplateRenderer.HasPlaceholders(statement))
        {
            // Values are never spliced into SQL: a placeholder here would be an injection waiting to happen.
            errors.Add(DefinitionReader.Field("statement"), "Templates are not allowed in a statement: write @name and give it in parameters.");
            ok = false;
        }
        var parameters = DefinitionReader.Optional(definition, "parameters");
        if (parameters is { } value)
        {
            if (value.ValueKind != JsonValueKind.Object)
            {
                errors.Add(DefinitionReader.Field("parameters"), "Must be an object of parameter names to values.");
                ok = false;
            }
            else
            {
                foreach (var property in value.EnumerateObject().Where(p => !ParameterName().IsMatch(p.Name)))
                {
                    errors.Add(DefinitionReader.Field("parameters." + property.Name), "A parameter name is a letter or _ followed by letters, digits or _.");
                    ok = false;
                }
            }
        }
        var hasTimeout = DefinitionReader.Optional(definition, "timeout_ms") is not null;
        var timeoutMs = DefinitionReader.Int(definition, "timeout_ms", 1, MaxTimeoutMs, errors);
        if (!ok || provider is null || string.IsNullOrWhiteSpace(connection) || string.IsNullOrWhiteSpace(statement) || (hasTimeout && timeoutMs is null))
            return null;
        return new DatabaseActionDefinition(provider, connection, statement, parameters?.Clone(),
            timeoutMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null);
    }

    /// <summary>Null when <paramref name="connection"/> parses for <paramref name="provider"/>; else why not (never the string itself).</summary>
    public static string? CheckConnectionString(string provider, string connection)
    {
        try
        {
            if (provider == Sqlite) _ = new SqliteConnectionStringBuilder(connection);
            else _ = new NpgsqlConnectionStringBuilder(connection);
            return null;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException)
        {
            return $"Not a valid {provider} connection string.";
        }
    }
}
