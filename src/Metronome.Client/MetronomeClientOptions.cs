namespace Metronome.Client;

/// <summary>Where the Metronome server is and how to call it. Defaults are documented on each property.</summary>
public sealed class MetronomeClientOptions
{
    /// <summary>The server's address, e.g. <c>http://127.0.0.1:5080</c> (a path prefix is kept). Required.</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>The admin key or a product key, sent as <c>Authorization: Bearer</c>. Null sends no key (every API call then answers 401).</summary>
    public string? ApiKey { get; set; }

    /// <summary>Longest time one call may take, retries included. Default 100 s.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>
    /// Retries of an idempotent call (GET, PUT, DELETE) after a transient failure (connection error, 408, 429, 5xx).
    /// POST and PATCH are never retried, since a lost answer may hide a job that was created. Default 3; 0 disables.
    /// </summary>
    public int MaxRetryAttempts { get; set; } = 3;

    /// <summary>Delay before the first retry; later ones back off exponentially with jitter. Default 500 ms.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Throws naming the first invalid setting.</summary>
    public void Validate()
    {
        if (BaseAddress is null) throw new InvalidOperationException("MetronomeClientOptions.BaseAddress is required (e.g. http://127.0.0.1:5080).");
        if (!BaseAddress.IsAbsoluteUri || (BaseAddress.Scheme != Uri.UriSchemeHttp && BaseAddress.Scheme != Uri.UriSchemeHttps))
            throw new InvalidOperationException($"MetronomeClientOptions.BaseAddress must be an absolute http(s) address, not '{BaseAddress}'.");
        if (Timeout <= TimeSpan.Zero && Timeout != System.Threading.Timeout.InfiniteTimeSpan)
            throw new InvalidOperationException("MetronomeClientOptions.Timeout must be positive.");
        if (MaxRetryAttempts is < 0 or > 10) throw new InvalidOperationException("MetronomeClientOptions.MaxRetryAttempts must be between 0 and 10.");
        if (RetryDelay < TimeSpan.Zero) throw new InvalidOperationException("MetronomeClientOptions.RetryDelay must not be negative.");
    }
}
