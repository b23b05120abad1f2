namespace Metronome.Core.Jobs;

/// <summary>Job enums as the lower-case words of the wire contract; stores keep them so, so the database reads like the API.</summary>
public static class WireNames
{
    public static string ToWire(this JobStatus s) => s switch
    {
        JobStatus.Active => "active",
        JobStatus.Paused => "paused",
        JobStatus.Completed => "completed",
        _ => throw new ArgumentOutOfRangeException(nameof(s)),
    };

    public static JobStatus ParseJobStatus(string s) => s switch
    {
        "active" => JobStatus.Active,
        "paused" => JobStatus.Paused,
        "completed" => JobStatus.Completed,
        _ => throw new InvalidDataException($"unknown job status '{s}' in the database"),
    };

    public static string ToWire(this OverlapPolicy o) => o switch
    {
        OverlapPolicy.Skip => "skip",
        OverlapPolicy.Queue => "queue",
        OverlapPolicy.Allow => "allow",
        _ => throw new ArgumentOutOfRangeException(nameof(o)),
    };

    public static OverlapPolicy ParseOverlap(string s) => s switch
    {
        "skip" => OverlapPolicy.Skip,
        "queue" => OverlapPolicy.Queue,
        "allow" => OverlapPolicy.Allow,
        _ => throw new InvalidDataException($"unknown overlap policy '{s}' in the database"),
    };

    public static string ToWire(this MisfirePolicy m) => m switch
    {
        MisfirePolicy.FireOnce => "fire_once",
        MisfirePolicy.Skip => "skip",
        MisfirePolicy.CatchUp => "catch_up",
        _ => throw new ArgumentOutOfRangeException(nameof(m)),
    };

    public static MisfirePolicy ParseMisfire(string s) => s switch
    {
        "fire_once" => MisfirePolicy.FireOnce,
        "skip" => MisfirePolicy.Skip,
        "catch_up" => MisfirePolicy.CatchUp,
        _ => throw new InvalidDataException($"unknown misfire policy '{s}' in the database"),
    };
}
