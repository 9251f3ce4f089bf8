namespace SatsMotion.Server.Callbacks;

/// <summary>Completion webhooks (SatsMotion:Callbacks).</summary>
public sealed class CallbackSettings
{
    /// <summary>
    /// Also accept http:// and https:// callbacks on 127.0.0.1, [::1] and localhost, and nothing else private: for
    /// local development and tests only.
    /// </summary>
    public bool AllowLoopback { get; set; }

    /// <summary>One delivery attempt, connection and answer included.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a delivery is retried before it is given up (at least a day, the schedule's promise).</summary>
    public TimeSpan RetryFor { get; set; } = TimeSpan.FromHours(25);

    /// <summary>Deliveries sent at once by one server: a slow receiver holds up only its own.</summary>
    public int Concurrency { get; set; } = 4;
}
