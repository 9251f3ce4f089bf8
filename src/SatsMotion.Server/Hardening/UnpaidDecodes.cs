namespace SatsMotion.Server.Hardening;

/// <summary>
/// At most a few image decodes at once for requests that carry no credential: an anonymous flood of large images
/// waits its turn (or gets 503) instead of taking every core and all memory from paying callers, whose decodes
/// never wait here.
/// </summary>
public sealed class UnpaidDecodes(int slots, TimeSpan maxWait)
{
    private readonly SemaphoreSlim _slots = new(slots);

    public UnpaidDecodes()
        : this(Math.Max(2, Environment.ProcessorCount), TimeSpan.FromSeconds(5))
    {
    }

    /// <summary>Runs <paramref name="decode"/> in a slot; false when none came free in time.</summary>
    public async Task<(bool Ran, T? Result)> RunAsync<T>(Func<T> decode, CancellationToken cancellationToken)
    {
        if (!await _slots.WaitAsync(maxWait, cancellationToken))
        {
            return (false, default);
        }

        try
        {
            return (true, decode());
        }
        finally
        {
            _slots.Release();
        }
    }
}
