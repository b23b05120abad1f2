namespace Metronome.Contracts;

/// <summary>The five event types a job can execute (wire values are lower case).</summary>
public static class JobEventTypes
{
    public const string Action = "action";
    public const string Notification = "notification";
    public const string DatabaseAction = "database_action";
    public const string Function = "function";
    public const string MessageBroker = "messagebroker";

    /// <summary>Every event type, in wire form.</summary>
    public static IReadOnlyList<string> All { get; } = [Action, Notification, DatabaseAction, Function, MessageBroker];

    /// <summary>
    /// Normalises an input value: case-insensitive, and the seed's enum names (<c>DATABASE_ACTION</c>) are accepted.
    /// Returns null when the value names no event type: nothing is trimmed (<c>"ACTION "</c> is not an event type), and
    /// the comparison is ordinal, so look-alike letters (Kelvin sign, dotted capital I) match nothing.
    /// </summary>
    public static string? Normalize(string? value)
    {
        if (string.IsNullOrEmpty(value)) return null;
        foreach (var type in All)
            if (string.Equals(type, value, StringComparison.OrdinalIgnoreCase)) return type;
        return null;
    }
}

/// <summary>Wire values of a job's status.</summary>
public static class JobStatuses
{
    public const string Active = "active";
    public const string Paused = "paused";
    public const string Completed = "completed";
}

/// <summary>Wire values of a run's status.</summary>
public static class RunStatuses
{
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string TimedOut = "timed_out";
    public const string Skipped = "skipped";
    public const string Abandoned = "abandoned";
}
