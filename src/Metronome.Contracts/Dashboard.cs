namespace Metronome.Contracts;

/// <summary>Sign-in of the dashboard (<c>POST /api/session</c>): the admin key or a product key, exchanged for a session cookie.</summary>
public sealed class SessionRequest
{
    public string? Key { get; set; }
}

/// <summary>The caller's cookie session (<c>POST</c> and <c>GET /api/session</c>).</summary>
public sealed class SessionInfo
{
    /// <summary>The product of a product key's session; null for the admin.</summary>
    public string? Product { get; set; }
    public bool Admin { get; set; }
    /// <summary>When the session ends unless used before (sessions slide: each use extends them).</summary>
    public DateTimeOffset? ExpiresAt { get; set; }
}

/// <summary>Aggregates of one product for the dashboard's overview (<c>GET /api/products/{p}/stats</c>).</summary>
public sealed class ProductStats
{
    public JobCounts Jobs { get; set; } = new();
    /// <summary>Runs that ended within the window, by status, plus those running now.</summary>
    public RunCounts Runs { get; set; } = new();
    /// <summary>One entry per minute of the window, oldest first, zero-filled.</summary>
    public IReadOnlyList<MinuteStats> Minutes { get; set; } = [];
}

/// <summary>Jobs of a product by status; <see cref="Running"/> counts jobs with a run in flight.</summary>
public sealed class JobCounts
{
    public long Active { get; set; }
    public long Paused { get; set; }
    public long Completed { get; set; }
    public long Running { get; set; }
}

/// <summary>Runs by status.</summary>
public sealed class RunCounts
{
    public long Succeeded { get; set; }
    public long Failed { get; set; }
    public long TimedOut { get; set; }
    public long Skipped { get; set; }
    public long Abandoned { get; set; }
    public long Running { get; set; }
}

/// <summary>One minute of a product's activity.</summary>
public sealed class MinuteStats
{
    /// <summary>The minute's start.</summary>
    public DateTimeOffset At { get; set; }
    /// <summary>Runs started in that minute.</summary>
    public long Fires { get; set; }
    /// <summary>Runs that ended failed, timed_out or abandoned in that minute.</summary>
    public long Failures { get; set; }
    /// <summary>99th percentile of started_at − scheduled_at of the runs started in that minute; null when none started.</summary>
    public long? P99LatenessMs { get; set; }
}

/// <summary>The members of the cluster (<c>GET /api/cluster/nodes</c>); a single SQLite node lists itself as leader.</summary>
public sealed class ClusterNodes
{
    public string? Leader { get; set; }
    public IReadOnlyList<ClusterNode> Nodes { get; set; } = [];
}

/// <summary>One node of the cluster.</summary>
public sealed class ClusterNode
{
    public string? Id { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? HeartbeatAt { get; set; }
    public long? HeartbeatAgeMs { get; set; }
    public bool Leader { get; set; }
    /// <summary>The node holds its presence now (not declared dead).</summary>
    public bool Present { get; set; }
}

/// <summary>A product secret as listed: its name and when it was last set, never its value.</summary>
public sealed class SecretInfo
{
    public string? Name { get; set; }
    /// <summary>Null for a secret set before the server recorded this.</summary>
    public DateTimeOffset? UpdatedAt { get; set; }
}
