using System.Runtime.ExceptionServices;

namespace SatsMotion.Video.Remote;

/// <summary>
/// What a provider's pushes are checked against (Replicate's webhook secret, fal's JWKS), read from the provider
/// and kept for <paramref name="keepFor"/>. A push that fails under the kept keys may mean the provider rotated them,
/// so they are read again, but at most once per <see cref="RefetchInterval"/>: pushes arrive on an unauthenticated
/// endpoint, and a burst of forged ones must not become a burst of requests to the provider. One read at a time.
/// </summary>
public sealed class PublishedKeys<T>(Func<CancellationToken, Task<T>> read, TimeSpan keepFor, TimeProvider time) where T : class
{
    public static readonly TimeSpan RefetchInterval = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private (T Keys, DateTimeOffset At)? _kept;
    private DateTimeOffset _lastRead = DateTimeOffset.MinValue;
    private ExceptionDispatchInfo? _lastFailure;

    /// <summary>The kept keys; read first when there are none, or they are older than keepFor.</summary>
    public async Task<T> CurrentAsync(CancellationToken cancellationToken)
    {
        if (Fresh() is { } keys)
        {
            return keys;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            return Fresh() ?? await ReadAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Keys to try once more after a push failed under <paramref name="failed"/>: those another caller read meanwhile,
    /// or a new read; null when the last read is younger than <see cref="RefetchInterval"/> (nothing new to try).
    /// </summary>
    public async Task<T?> AfterFailureAsync(T failed, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_kept is { } kept && !EqualityComparer<T>.Default.Equals(kept.Keys, failed))
            {
                return kept.Keys;
            }

            return time.GetUtcNow() - _lastRead < RefetchInterval ? null : await ReadAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    private T? Fresh() => _kept is { } kept && time.GetUtcNow() - kept.At < keepFor ? kept.Keys : null;

    // Under the gate. A read that failed a moment ago is not repeated: its error stands (or stale keys serve) until the interval passes.
    private async Task<T> ReadAsync(CancellationToken cancellationToken)
    {
        if (_lastFailure is { } failure && time.GetUtcNow() - _lastRead < RefetchInterval)
        {
            if (_kept is { } stale)
            {
                return stale.Keys;
            }

            failure.Throw();
        }

        _lastRead = time.GetUtcNow();
        try
        {
            var keys = await read(cancellationToken);
            _kept = (keys, time.GetUtcNow());
            _lastFailure = null;
            return keys;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _lastFailure = ExceptionDispatchInfo.Capture(e);
            throw;
        }
    }
}
