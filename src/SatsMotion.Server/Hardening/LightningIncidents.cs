using SatsMotion.Lightning;

namespace SatsMotion.Server.Hardening;

/// <summary>A failure of the Lightning node as this server last saw it.</summary>
public sealed record LightningIncident(DateTimeOffset At, LightningFailure Failure, string Message);

/// <summary>The last Lightning failure this server met (a caller's request or a readiness check), for the operator console.</summary>
public sealed class LightningIncidents(TimeProvider time)
{
    private LightningIncident? _last;

    public LightningIncident? Last => Volatile.Read(ref _last);

    public void Record(LightningBackendException failure) => Volatile.Write(ref _last, new LightningIncident(time.GetUtcNow(), failure.Failure, failure.Message));
}
