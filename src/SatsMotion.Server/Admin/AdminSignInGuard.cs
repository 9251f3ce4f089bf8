using System.Collections.Concurrent;

namespace SatsMotion.Server.Admin;

/// <summary>
/// Wrong admin keys, by form or by bearer alike, counted per client address: after <see cref="MaxFailures"/> within
/// <see cref="Window"/>, that address is refused for <see cref="Lockout"/> whatever it sends. A right key clears the count.
/// </summary>
public sealed class AdminSignInGuard(TimeProvider time)
{
    public const int MaxFailures = 5;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan Lockout = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, Failures> _failures = new();

    private sealed record Failures(int Count, DateTimeOffset First, DateTimeOffset? LockedUntil);

    /// <summary>How long the address must still wait, or null when it may try.</summary>
    public TimeSpan? LockedFor(string client)
    {
        var now = time.GetUtcNow();
        return _failures.TryGetValue(client, out var failures) && failures.LockedUntil is { } until && until > now ? until - now : null;
    }

    public void RecordFailure(string client)
    {
        var now = time.GetUtcNow();
        _failures.AddOrUpdate(client, _ => new Failures(1, now, null), (_, current) =>
        {
            var count = now - current.First > Window || current.LockedUntil <= now ? 1 : current.Count + 1;
            var first = count == 1 ? now : current.First;
            return new Failures(count, first, count >= MaxFailures ? now + Lockout : null);
        });
        PruneOld(now);
    }

    public void RecordSuccess(string client) => _failures.TryRemove(client, out _);

    // Addresses that stopped trying are forgotten, so a scan of many addresses cannot grow this without bound.
    private void PruneOld(DateTimeOffset now)
    {
        if (_failures.Count < 10_000)
        {
            return;
        }

        foreach (var (client, failures) in _failures)
        {
            if (now - failures.First > Window && !(failures.LockedUntil > now))
            {
                _failures.TryRemove(client, out _);
            }
        }
    }
}
