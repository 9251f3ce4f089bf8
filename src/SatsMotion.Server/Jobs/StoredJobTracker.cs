using SatsMotion.Server.Storage;
using SatsMotion.Video.Models;

namespace SatsMotion.Server.Jobs;

/// <summary>
/// A running job's tracker backed by the store: progress is written at most once per interval, and a remote
/// job's id is written before the model waits on it.
/// </summary>
public sealed class StoredJobTracker(JobStore store, string jobId, string owner, string? remoteJobId, TimeSpan interval) : IVideoJobTracker
{
    private readonly Lock _gate = new();
    private DateTimeOffset _last = DateTimeOffset.MinValue;
    private double _latest;
    private Task _pending = Task.CompletedTask;

    public string? RemoteJobId { get; private set; } = remoteJobId;

    public async Task SetRemoteJobIdAsync(string? remoteJobId, CancellationToken cancellationToken)
    {
        await store.SetRemoteJobIdAsync(jobId, owner, remoteJobId, cancellationToken);
        RemoteJobId = remoteJobId;
    }

    public void Report(double value)
    {
        lock (_gate)
        {
            _latest = value;
            var now = DateTimeOffset.UtcNow;
            if (now - _last < interval || !_pending.IsCompleted)
            {
                return;
            }

            _last = now;
            _pending = store.UpdateProgressAsync(jobId, owner, value, CancellationToken.None);
        }
    }

    public async Task FlushAsync()
    {
        await _pending;
        await store.UpdateProgressAsync(jobId, owner, _latest, CancellationToken.None);
    }
}
