namespace SatsMotion.Server.Tests;

/// <summary>A clock the test moves by hand, for invoice and token expiry.</summary>
public sealed class ManualClock : TimeProvider
{
    private DateTimeOffset _now = DateTimeOffset.UtcNow;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
